"""A partner page's photo: alt text and caption do different jobs, and a photo needs alt text."""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from wagtail.models import Locale
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import PartnerPage
from cms.placeholder import PLACEHOLDER_ALT

pytestmark = pytest.mark.django_db

MESSAGE = "Write the photo's alt text"


def edit_form(page, **changes):
    data = {
        "title": page.title,
        "slug": page.slug,
        "partner": page.partner_id,
        "lead": page.lead,
        "image": page.image_id or "",
        "image_alt": page.image_alt,
        "image_caption": page.image_caption,
        "highlights": streamfield([("highlight", rich_text(h.value.source)) for h in page.highlights]),
        "body": streamfield([("heading", {"text": "Key areas of cooperation", "level": "h2", "anchor": ""})]),
        "action-publish": "publish",
    }
    data.update(changes)
    return nested_form_data(data)


def test_the_admin_refuses_a_photo_without_alt_text_and_names_the_field(admin_client, loaded):
    page = PartnerPage.objects.get()
    before = page.get_latest_revision().pk
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", edit_form(page, image_alt="  "))
    assert response.status_code == 200  # the form again, with its error
    assert MESSAGE in response.context["form"].errors["image_alt"][0]
    soup = BeautifulSoup(response.content, "html.parser")
    field = soup.select_one("[data-field-wrapper] #id_image_alt, #id_image_alt")
    assert field is not None
    wrapper = field.find_parent(attrs={"data-field-wrapper": True}) or field.find_parent("div")
    assert MESSAGE in wrapper.get_text(" ")  # the message is shown at the field it is about
    assert page.get_latest_revision().pk == before  # nothing saved


def test_alt_text_is_checked_by_the_model_and_not_needed_without_a_photo(loaded):
    page = PartnerPage.objects.get()
    page.image_alt = ""
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert MESSAGE in error.value.message_dict["image_alt"][0]
    page.image = None
    page.full_clean()  # no photo, no alt text needed


def test_the_admin_saves_a_photo_with_alt_text(admin_client, loaded):
    page = PartnerPage.objects.get()
    alt = "Two men at lecterns in front of NATO and Japanese flags."
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", edit_form(page, image_alt=alt))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.image_alt == alt


def test_the_placeholder_says_it_is_one_and_differs_from_the_caption(client, loaded):
    page = PartnerPage.objects.get()
    assert "placeholder" in page.image.description.lower() and page.image.description == PLACEHOLDER_ALT
    soup = BeautifulSoup(client.get("/partners/japan/").content, "html.parser")
    alt, caption = soup.select_one("figure img")["alt"], soup.select_one("figure figcaption").get_text()
    assert alt.startswith("Placeholder image")
    assert alt != caption and caption not in alt


def test_the_french_page_has_french_alt_text_of_its_own(client, translated):
    french = PartnerPage.objects.get(locale=Locale.objects.get(language_code="fr"))
    assert french.image_alt == "Image provisoire\u00a0: la photo de ce point de presse n'a pas encore été ajoutée."
    assert french.image_alt != french.image_caption
    soup = BeautifulSoup(client.get(french.url).content, "html.parser")
    assert soup.select_one("figure img")["alt"] == french.image_alt
    assert soup.select_one("figure figcaption").get_text().startswith("Point de presse conjoint")


def test_an_image_block_needs_alt_text_or_an_image_description(loaded):
    from wagtail.blocks.struct_block import StructBlockValidationError

    from cms.blocks import CaptionedImageBlock

    block = CaptionedImageBlock()
    image = PartnerPage.objects.get().image
    image.description = ""
    image.save()
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(block.to_python({"image": image.pk, "caption": "A caption", "alt_text": ""}))
    assert "Write the image's alt text" in error.value.block_errors["alt_text"].messages[0]
    block.clean(block.to_python({"image": image.pk, "caption": "A caption", "alt_text": "Flags in a hall."}))
    image.description = "The placeholder."
    image.save()
    block.clean(block.to_python({"image": image.pk, "caption": "A caption", "alt_text": ""}))  # its description
