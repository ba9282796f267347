"""A plainly labelled placeholder photo, drawn by the project itself (no third-party image)."""

import io
import textwrap

from django.core.files.images import ImageFile
from PIL import Image as PillowImage
from PIL import ImageDraw, ImageFont
from wagtail.images import get_image_model

WIDTH, HEIGHT = 1600, 900
BACKGROUND = (223, 229, 236)
INK = (18, 53, 91)


def placeholder_title(caption):
    return f"Placeholder photo – replace me: {caption}"[:255]


def placeholder_image(caption, collection=None, on_create=None):
    """The placeholder image for ``caption``, made once and reused: caption as alt text.

    ``on_create(image)`` is called when a new image (and its file) had to be made, so that a caller
    in a transaction can delete the file again if the transaction is rolled back.
    """
    Image = get_image_model()
    title = placeholder_title(caption)
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    image = Image(
        title=title, description=caption[:255], file=ImageFile(io.BytesIO(draw(caption)), name="placeholder.png")
    )
    if collection is not None:
        image.collection = collection
    try:
        image.save()
    except BaseException:
        if image.file.name:  # the file was written before the row failed
            image.file.storage.delete(image.file.name)
        raise
    if on_create is not None:
        on_create(image)
    return image


def draw(caption):
    canvas = PillowImage.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    pen.rectangle([24, 24, WIDTH - 25, HEIGHT - 25], outline=INK, width=6)
    pen.line([24, 24, WIDTH - 25, HEIGHT - 25], fill=(180, 190, 202), width=3)
    pen.line([24, HEIGHT - 25, WIDTH - 25, 24], fill=(180, 190, 202), width=3)
    label = ImageFont.load_default(size=72)
    text = ImageFont.load_default(size=40)
    lines = [("PLACEHOLDER PHOTO", label), *((line, text) for line in textwrap.wrap(caption, 60)), ("", text)]
    lines.append(("An editor should replace this image.", text))
    heights = [pen.textbbox((0, 0), line or " ", font=font)[3] + 24 for line, font in lines]
    y = (HEIGHT - sum(heights)) // 2
    for (line, font), height in zip(lines, heights, strict=True):
        width = pen.textlength(line, font=font)
        box = [(WIDTH - width) / 2 - 16, y - 8, (WIDTH + width) / 2 + 16, y + height - 16]
        if line:
            pen.rectangle(box, fill=BACKGROUND)
            pen.text(((WIDTH - width) / 2, y), line, font=font, fill=INK)
        y += height
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
