"""The per-process catalog cache: bounded, least recently used tenant evicted first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from uuid import UUID

from engine.catalog.compile import Catalog, compile_catalog
from engine.expressions import ExpressionCompiler
from engine.extensions import load_extensions
from metadata.models import TenantMetadata


class CatalogCache:
    """Hold the newest compiled catalog of up to `max_tenants` tenants.

    The caller passes the revision it knows to be current (read with the credential), so
    a catalog compiled by this process is replaced as soon as another process changes
    the tenant's metadata. The cache owns the expression compiler catalogs are built with
    (by default on the functions of every installed plugin).
    """

    def __init__(
        self, max_tenants: int = 256, *, compiler: ExpressionCompiler | None = None
    ) -> None:
        self.compiler = compiler or ExpressionCompiler(load_extensions().functions)
        self._max_tenants = max_tenants
        self._catalogs: OrderedDict[UUID, Catalog] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant_id: UUID, revision: int, load: Callable[[], TenantMetadata]) -> Catalog:
        """Return the tenant's catalog at `revision` or newer, compiling it if needed."""
        with self._lock:
            cached = self._catalogs.get(tenant_id)
            if cached is not None and cached.revision >= revision:
                self._catalogs.move_to_end(tenant_id)
                return cached
        catalog = self.compile(load())
        self.put(catalog)
        return catalog

    def compile(self, state: TenantMetadata) -> Catalog:
        """Compile `state` with this cache's expression compiler (does not store it)."""
        return compile_catalog(state, self.compiler)

    def put(self, catalog: Catalog) -> None:
        """Store a freshly compiled catalog, evicting the least recently used tenant."""
        tenant_id = catalog.metadata_state.tenant_id
        with self._lock:
            cached = self._catalogs.get(tenant_id)
            if cached is not None and cached.revision > catalog.revision:
                return
            self._catalogs[tenant_id] = catalog
            self._catalogs.move_to_end(tenant_id)
            while len(self._catalogs) > self._max_tenants:
                self._catalogs.popitem(last=False)

    def __len__(self) -> int:
        return len(self._catalogs)
