"""Global search: the search index of each object, and ranked searches across objects."""

from engine.search.dialects import (
    RecordMatcher,
    create_index_statements,
    database_names,
    drop_index_statements,
    enable_extension_statements,
    record_matcher,
)
from engine.search.index import (
    IndexedField,
    SearchIndex,
    has_search_index,
    is_same_index,
    search_index,
    search_indexes,
    searchable_fields,
)
from engine.search.searching import (
    DEFAULT_SEARCH_LIMIT,
    MAX_SEARCH_LIMIT,
    SearchQuery,
    search_records,
)
from engine.search.support import SearchSupport, measure_search_support
from engine.search.terms import MAX_SEARCH_LENGTH, MAX_WORDS, SearchText, parse_search_text

__all__ = [
    "DEFAULT_SEARCH_LIMIT",
    "MAX_SEARCH_LENGTH",
    "MAX_SEARCH_LIMIT",
    "MAX_WORDS",
    "IndexedField",
    "RecordMatcher",
    "SearchIndex",
    "SearchQuery",
    "SearchSupport",
    "SearchText",
    "create_index_statements",
    "database_names",
    "drop_index_statements",
    "enable_extension_statements",
    "has_search_index",
    "is_same_index",
    "measure_search_support",
    "parse_search_text",
    "record_matcher",
    "search_index",
    "search_indexes",
    "search_records",
    "searchable_fields",
]
