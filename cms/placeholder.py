"""A plainly labelled placeholder photo, made once by the project itself (no third-party image).

The picture is ``fixtures/images/placeholder.png`` (1600 × 900, “PLACEHOLDER PHOTO – An editor
should replace this image.”); each caption gets its own image record with that file, the caption
as its description (the alt text).
"""

from django.conf import settings
from django.core.files.images import ImageFile
from wagtail.images import get_image_model

PLACEHOLDER_FILE = settings.BASE_DIR / "fixtures" / "images" / "placeholder.png"


def placeholder_title(caption):
    return f"Placeholder photo – replace me: {caption}"[:255]


def placeholder_image(caption, collection=None, on_create=None):
    """The placeholder image for ``caption``, made once and reused: caption as alt text.

    ``on_create(image)`` is called when a new image (and its file in the media storage) had to be
    made, so that a caller in a transaction can delete the file again if the transaction is rolled back.
    """
    Image = get_image_model()
    title = placeholder_title(caption)
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    with PLACEHOLDER_FILE.open("rb") as picture:
        image = Image(title=title, description=caption[:255], file=ImageFile(picture, name=PLACEHOLDER_FILE.name))
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
