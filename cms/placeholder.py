"""A plainly labelled placeholder photo, made once by the project itself (no third-party image).

The picture is ``fixtures/images/placeholder.png`` (1600 × 900, “PLACEHOLDER PHOTO – An editor
should replace this image.”); each caption gets its own image record with that file. Its description
(Wagtail's default alt text) says what it is, a placeholder, never what the caption describes: the
caption is about the photo an editor is to put there, and a screen reader must not announce a press
point that is not shown. The page's own alt text (``PartnerPage.image_alt``) is written separately.
"""

from django.conf import settings
from django.core.files.images import ImageFile
from wagtail.images import get_image_model

PLACEHOLDER_FILE = settings.BASE_DIR / "fixtures" / "images" / "placeholder.png"
# What the picture is, as alt text (English, like the fixtures; pages translate their own alt text).
PLACEHOLDER_ALT = "Placeholder image: the photo has not been added yet."


def placeholder_title(caption):
    return f"Placeholder photo – replace me: {caption}"[:255]


def placeholder_image(caption, collection=None, on_create=None):
    """The placeholder image for ``caption``, made once and reused; its description is ``PLACEHOLDER_ALT``.

    An image made by an earlier version, whose description was the caption, is given ``PLACEHOLDER_ALT``.

    ``on_create(image)`` is called when a new image (and its file in the media storage) had to be
    made, so that a caller in a transaction can delete the file again if the transaction is rolled back.
    """
    Image = get_image_model()
    title = placeholder_title(caption)
    existing = Image.objects.filter(title=title).first()
    if existing:
        if existing.description == caption[:255]:
            existing.description = PLACEHOLDER_ALT
            existing.save(update_fields=["description"])
        return existing
    with PLACEHOLDER_FILE.open("rb") as picture:
        image = Image(title=title, description=PLACEHOLDER_ALT, file=ImageFile(picture, name=PLACEHOLDER_FILE.name))
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
