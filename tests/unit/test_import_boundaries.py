"""The services are independent in code as in deployment: what one service may use
of another is its contract, and a contract stands on its own.

- A service's contract is its `events`, `schemas` (and `schemas_*`), `exceptions`
  and `vocabulary` modules: the events it emits, what its RPC accepts and returns,
  the errors it raises, the words (statuses, conditions…) those use.
- Another service, the gateway included, imports nothing of a service but its
  contract, and `partanum/`, the code every service shares.
- A contract imports only `partanum/` and contracts: nothing of its own service's
  rules, tables or entrypoints, so that a consumer never loads them.
- `partanum/` imports no service.
- RPC methods are declared with `partanum.rpc.rpc`, never nameko's own: one consumer
  serves a service's queue, and nameko's would stop the service when the broker goes
  away during a call.

The graph is built by grimp, the import graph library behind import-linter, from
every import in the code (inside functions too).
"""

import ast
import re
from pathlib import Path

import grimp
import pytest

CONTRACT = re.compile(r"^services\.(\w+)\.(events|schemas|schemas_\w+|exceptions|vocabulary)$")
SERVICE = re.compile(r"^services\.(\w+)")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("services", "partanum")


def imports(graph):
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            yield importer, imported


def service_of(module: str) -> str | None:
    match = SERVICE.match(module)
    return match.group(1) if match and module.count(".") >= 1 else None


def test_a_service_uses_nothing_of_another_but_its_contract(graph):
    crossing = sorted(
        (importer, imported)
        for importer, imported in imports(graph)
        if service_of(imported)
        and service_of(importer) != service_of(imported)
        and not CONTRACT.match(imported)
    )
    assert crossing == []


def test_a_contract_imports_only_contracts_and_the_shared_code(graph):
    leaking = sorted(
        (importer, imported)
        for importer, imported in imports(graph)
        if CONTRACT.match(importer) and service_of(imported) and not CONTRACT.match(imported)
    )
    assert leaking == []


def test_the_shared_code_imports_no_service(graph):
    assert (
        sorted(
            (importer, imported)
            for importer, imported in imports(graph)
            if importer.startswith("partanum") and imported.startswith("services")
        )
        == []
    )


def test_rpc_methods_are_declared_with_the_shared_entrypoint():
    offenders = []
    for path in [*ROOT.glob("partanum/**/*.py"), *ROOT.glob("services/**/*.py")]:
        if path == ROOT / "partanum" / "rpc.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in ("nameko", "nameko.rpc"):
                if {alias.name for alias in node.names} & {"rpc", "Rpc"}:
                    offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
