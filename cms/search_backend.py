"""The search backend every search box goes through: Wagtail's database backend, searching words.

Quotes, brackets, ``*``, ``:`` and the like are syntax to the full-text engines: on SQLite a lone
``"`` typed in any search box (the admin's listings and choosers, the API's ``?search=``, the site
search) was an FTS5 syntax error, a server error. So a search here is over the *words* of what was
typed; everything else is a separator. A query left with no words finds nothing (an empty result),
never an error.

Configured as ``WAGTAILSEARCH_BACKENDS["default"]["BACKEND"] = "cms.search_backend"``: Wagtail
calls ``SearchBackend(params)``, as it does for its own database backend, which this wraps (it picks
the PostgreSQL, SQLite FTS5 or fallback implementation for the database in use).
"""

import re

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db.models import CharField, Exists, F, Func, OuterRef
from django.db.models.functions import Cast
from wagtail.models import Locale, TranslatableMixin
from wagtail.search.backends.database import SearchBackend as database_backend
from wagtail.search.models import IndexEntry
from wagtail.search.query import And, Boost, Fuzzy, MatchAll, Not, Or, Phrase, PlainText

_NOT_A_WORD = re.compile(r"[^\w\s]+")


def words(text):
    """``text`` as words separated by single spaces: ``'"a (b)*'`` → ``'a b'``; ``'"'`` → ``''``."""
    return " ".join(_NOT_A_WORD.sub(" ", str(text)).split())


def words_query(query):
    """A string or a Wagtail search query object with every typed text reduced to its words.

    Returns ``""`` when nothing searchable is left (the backend answers that with no results).
    """
    if isinstance(query, str):
        return words(query)
    if isinstance(query, PlainText):
        text = words(query.query_string)
        return PlainText(text, operator=query.operator, boost=query.boost) if text else ""
    if isinstance(query, Phrase):
        text = words(query.query_string)
        return Phrase(text) if text else ""
    if isinstance(query, Fuzzy):
        text = words(query.query_string)
        return Fuzzy(text, operator=query.operator) if text else ""
    if isinstance(query, Boost):
        inner = words_query(query.subquery)
        return Boost(inner, query.boost) if inner != "" else ""
    if isinstance(query, And | Or):
        parts = [part for part in map(words_query, query.subqueries) if part != ""]
        if not parts:
            return ""
        return parts[0] if len(parts) == 1 else type(query)(parts)
    if isinstance(query, Not):
        inner = words_query(query.subquery)
        return Not(inner) if inner != "" else ""
    return query  # MatchAll and anything without typed text


class WordsSearchMixin:
    """Search and autocomplete over the words of the query (see the module's docstring)."""

    def search(self, query, model_or_queryset, *args, **kwargs):
        query = words_query(query)
        if query == "":
            return self.nothing_found(model_or_queryset)
        return super().search(query, model_or_queryset, *args, **kwargs)

    def autocomplete(self, query, model_or_queryset, *args, **kwargs):
        query = words_query(query)
        if query == "":
            return self.nothing_found(model_or_queryset)
        return super().autocomplete(query, model_or_queryset, *args, **kwargs)

    def nothing_found(self, model_or_queryset):
        """Empty results that still know their model (Wagtail's own empty results do not, and the admin's
        listings read the model from them: a search of only signs, such as ``%FF%FE``, was a server error)."""
        queryset = model_or_queryset.objects.all() if isinstance(model_or_queryset, type) else model_or_queryset
        return super().search(MatchAll(), queryset.none())


class LanguageConfigIndexMixin:
    """Each translatable object indexed with its language's text search configuration (PostgreSQL).

    The backend's ``LANGUAGE_CONFIGS`` (``{"fr": "french"}``) names, for a language code, the
    configuration its pages and records are indexed with (French stemming for French content);
    other objects get the backend's ``SEARCH_CONFIG`` (None: the database's default). French
    content is then searched through a backend alias with ``SEARCH_CONFIG: "french"``
    (cms.views.search_backend_alias), whose stems match.
    """

    def add_items(self, model, objs):
        configs = self.backend.language_configs
        if not configs or not issubclass(model, TranslatableMixin):
            return super().add_items(model, objs)
        codes = dict(Locale.objects.values_list("pk", "language_code"))
        groups = {}
        for obj in objs:
            groups.setdefault(configs.get(codes.get(obj.locale_id), self.backend.config), []).append(obj)
        default = self.backend.config
        try:
            for config, group in groups.items():
                self.backend.config = config  # what the backend's indexer builds each vector with
                super().add_items(model, group)
        finally:
            self.backend.config = default


def first_matches(backend, queryset, text, limit):
    """At most ``limit`` of ``queryset``'s objects whose index entry matches every word of ``text``, in no
    particular order (the index's): a subquery of their primary keys, for ``queryset.filter(pk__in=…)``.

    PostgreSQL only (``backend`` is a PostgreSQL alias of this module's; ``text`` is words, as ``words``
    returns). Wagtail ranks every match (``ts_rank`` reads each one's title and body vectors: 280 ms for a
    word in a fifth of 100,000 entries); handed these candidates, it ranks ``limit`` of them. The match
    is Wagtail's own for a plain query: the same ``title || body`` vector (the GIN index of migration
    cms.0008), the backend's text search configuration (``backend.config``), every word required.
    """
    matching = (
        IndexEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(queryset.model),
            # Cast as cms.0008's index of the entries' ids casts them, so that index answers.
            object_id=Cast(OuterRef("pk"), CharField(max_length=50)),
        )
        .alias(
            document=Func(
                F("title"), F("body"), template="(%(expressions)s)", arg_joiner=" || ", output_field=SearchVectorField()
            )
        )
        .filter(document=SearchQuery(text, config=backend.config))
    )
    return queryset.order_by().filter(Exists(matching)).values("pk")[:limit]


_classes = {}


def SearchBackend(params):  # noqa: N802 - the name Wagtail looks up in a backend module
    """Wagtail's database backend for the database in use, searching words; on PostgreSQL, indexing
    each language with its own configuration (``LANGUAGE_CONFIGS``, see LanguageConfigIndexMixin).
    ``SEARCH_ONLY``: True for an alias that only searches (see below)."""
    language_configs = dict(params.get("LANGUAGE_CONFIGS", {}))
    own = ("LANGUAGE_CONFIGS", "SEARCH_ONLY")
    backend = database_backend({name: value for name, value in params.items() if name not in own})
    base = type(backend)
    if base not in _classes:
        attributes = {}
        if hasattr(backend, "config"):  # PostgreSQL: text search configurations
            index = type(f"Language{base.index_class.__name__}", (LanguageConfigIndexMixin, base.index_class), {})
            attributes["index_class"] = index
        _classes[base] = type(f"Words{base.__name__}", (WordsSearchMixin, base), attributes)
    backend.__class__ = _classes[base]
    backend.language_configs = language_configs if hasattr(backend, "config") else {}
    if params.get("SEARCH_ONLY"):
        # An alias that searches the index another one writes (with AUTO_UPDATE False): update_index
        # passes it by ("doesn't require rebuilding") instead of reindexing every language its way.
        backend.rebuilder_class = None
    return backend


__all__ = ["SearchBackend", "MatchAll", "first_matches", "words", "words_query"]
