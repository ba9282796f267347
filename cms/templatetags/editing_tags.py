from django import template

from cms.editing import form_base_revision

register = template.Library()


@register.simple_tag(takes_context=True)
def form_base_revision_inputs(context, latest_id, latest_created_at):
    """``(id, created_at)`` for the edit form's hidden inputs (see cms.editing.form_base_revision).

    The include that calls this is rendered with ``only``; the request is still the context's own.
    """
    return form_base_revision(getattr(context, "request", None), latest_id, latest_created_at)
