"""Image uploads that are decoded in full, safely, before anything is stored.

Wagtail's image field (``WagtailImageField``) reads an upload's header with Willow and checks its
format, file size and pixel count. Two kinds of file still got past it as a server error or as a
stored image that breaks later: a *decompression bomb* (a small file whose header claims so many
pixels that Pillow refuses to open it: ``DecompressionBombError`` escaped the form as a 500), and a
file whose header is fine but whose data is not (truncated, corrupt): stored, then every rendition
of it failed. Every image upload path of the admin (add, multiple add, the chooser's upload, edit
with a new file) builds its form from ``WAGTAILIMAGES_IMAGE_FORM_BASE``, so this form's field covers
them all: any file that cannot be fully decoded within the limits is a form error.
"""

import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm


class SafeImageField(WagtailImageField):
    """Wagtail's image field, plus: the image must decode completely, every frame, without a bomb warning.

    Raises ``ValidationError`` (never anything else) for a file that cannot be read safely.
    """

    default_error_messages = {
        "undecodable_image": _(
            "This image could not be read in full (it may be truncated or damaged). "
            "Save it again with an image editor and upload that file."
        ),
        "decompression_bomb": _(
            "This image claims too many pixels to be opened safely (at most %(max_pixels)s pixels are allowed)."
        ),
    }

    def to_python(self, data):
        try:
            f = super().to_python(data)
        except ValidationError:
            raise
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise self.bomb_error() from exc
        except Exception as exc:  # noqa: BLE001 - whatever a decoder raises on hostile bytes is the file's fault
            raise ValidationError(self.error_messages["undecodable_image"], code="undecodable_image") from exc
        if f is not None:
            self.check_fully_decodable(f)
        return f

    def bomb_error(self):
        return ValidationError(
            self.error_messages["decompression_bomb"] % {"max_pixels": f"{self.max_image_pixels or 0:,}"},
            code="decompression_bomb",
        )

    def check_fully_decodable(self, f):
        """Decode every frame with Pillow; a bomb warning is an error here, whatever the global filters say."""
        f.seek(0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", PILImage.DecompressionBombWarning)
                with PILImage.open(f) as image:
                    for frame in range(getattr(image, "n_frames", 1)):
                        image.seek(frame)
                        image.load()
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise self.bomb_error() from exc
        except Exception as exc:  # noqa: BLE001 - truncated data, bad chunks, unsupported variants…
            raise ValidationError(self.error_messages["undecodable_image"], code="undecodable_image") from exc
        finally:
            f.seek(0)


class SafeImageForm(BaseImageForm):
    """The base of every admin image form (``WAGTAILIMAGES_IMAGE_FORM_BASE``): its file field is a ``SafeImageField``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        if field is not None and not isinstance(field, SafeImageField):
            self.fields["file"] = SafeImageField(label=field.label, required=field.required, widget=field.widget)
