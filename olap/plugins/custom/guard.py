"""The custom SQL guard: parse one ClickHouse SELECT, check it against small rules, rewrite it to a scope.

Every rule is a pure function that takes a sqlglot node and raises QueryRejected, naming
the rule, the offending part and its line and column in the user's text. The guard is
fail-closed: node types, functions and tables are allow-listed, so anything the rules do
not know is rejected rather than passed through.

The rewrite replaces every reference to the `events` view, at any depth, with
`(SELECT * FROM events WHERE <scope predicate>) AS <alias>`, where the predicate uses bound
parameters. CTE names are renamed to `__cte_<n>_<name>`, so a reference ClickHouse would
resolve differently from sqlglot reaches no real table. The SQL that runs is generated
from the rewritten tree, never taken from the user's text, and contains no comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from olap.core.errors import UserInputError
from olap.core.scope import Scope
from olap.plugins.custom.functions import NAMED_FUNCTIONS, SYNTAX_NODES, TYPED_FUNCTIONS, function_allowed

DIALECT = "clickhouse"
EVENT_VIEW = "events"
MAX_SQL_CHARS = 20_000
CTE_PREFIX = "__cte_"
ROOT_TYPES = (exp.Select, exp.Union, exp.Intersect, exp.Except)
FORBIDDEN_SELECT_ARGS = {"settings": "SETTINGS", "format": "FORMAT", "into": "INTO", "options": "query options"}


class QueryRejected(UserInputError):
    """Custom SQL the guard does not run, with the rule it broke and where."""

    def __init__(self, rule: str, message: str, line: int | None = None, column: int | None = None):
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.rule = rule
        self.line = line
        self.column = column
        self.reason = message


@dataclass(frozen=True)
class GuardedQuery:
    """A custom query rewritten to one scope: the SQL that runs and the values it binds."""

    sql: str
    parameters: dict[str, Any] = field(hash=False)
    scoped_references: int


def guard(sql: str, scope: Scope) -> GuardedQuery:
    """Check `sql` and return it rewritten to `scope`, or raise QueryRejected."""
    check_text(sql)
    tree = parse_single_statement(sql)
    check_root(tree)

    cte_names = rename_ctes(tree, sql)
    for node in list(tree.walk()):
        check_node(node, sql, cte_names)

    references = scope_event_references(tree, scope)
    strip_comments(tree)
    return GuardedQuery(tree.sql(dialect=DIALECT, pretty=True, comments=False), scope.parameters(), references)


# --- locating nodes in the user's text ---------------------------------------------------


def position_of(node: exp.Expression, sql: str) -> tuple[int | None, int | None]:
    """Return the 1-based line and column where a node starts in `sql`, when sqlglot kept it."""
    starts = [item.meta["start"] for item in node.walk() if "start" in item.meta]
    if not starts:
        return None, None
    offset = min(starts)
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return line, column


def reject(rule: str, message: str, node: exp.Expression | None = None, sql: str = "") -> QueryRejected:
    line, column = position_of(node, sql) if node is not None else (None, None)
    return QueryRejected(rule, message, line, column)


def snippet(node: exp.Expression, limit: int = 60) -> str:
    text = node.sql(dialect=DIALECT, comments=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- rules on the whole text ---------------------------------------------------------------


def check_text(sql: str) -> None:
    """Reject empty or oversized text, and NUL characters, which ClickHouse reads as the end of a query."""
    if not sql.strip():
        raise QueryRejected("empty", "The query is empty; write one SELECT statement.")
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRejected("size", f"The query has {len(sql)} characters, more than the {MAX_SQL_CHARS} allowed; shorten it.")
    if "\x00" in sql:
        offset = sql.index("\x00")
        raise QueryRejected("characters", "The query contains a NUL character; remove it.", sql.count("\n", 0, offset) + 1, offset - (sql.rfind("\n", 0, offset) + 1) + 1)


def parse_single_statement(sql: str) -> exp.Expression:
    """Parse `sql` as ClickHouse and return its one statement; a trailing semicolon is allowed."""
    try:
        parsed = sqlglot.parse(sql, read=DIALECT)
        # A comment after the last semicolon parses as a Semicolon node that holds only the comment.
        statements = [statement for statement in parsed if statement is not None and not isinstance(statement, exp.Semicolon)]
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        description = (first.get("description") or str(err)).split("\n")[0]
        raise QueryRejected("parse", f"The query could not be parsed: {description}", first.get("line"), first.get("col")) from None
    except TokenError as err:
        raise QueryRejected("parse", f"The query could not be read: {err}") from None
    if not statements:
        raise QueryRejected("empty", "The query contains only comments or semicolons; write one SELECT statement.")
    if len(statements) > 1:
        line, column = position_of(statements[1], sql)
        raise QueryRejected("one_statement", f"The text contains {len(statements)} statements; run exactly one SELECT.", line, column)
    return statements[0]


def check_root(tree: exp.Expression) -> None:
    """Accept a SELECT, a WITH … SELECT or a UNION, INTERSECT or EXCEPT of them."""
    if isinstance(tree, exp.Command):
        raise QueryRejected("select_only", f"{tree.name.upper() or 'This'} statements are not supported; only SELECT queries run here.")
    if not isinstance(tree, ROOT_TYPES):
        raise QueryRejected("select_only", f"{tree.key.upper()} statements are not allowed; only SELECT queries run here.")


# --- rules on each node --------------------------------------------------------------------


def check_node(node: exp.Expression, sql: str, cte_names: set[str]) -> None:
    """Apply every node rule to one node of the tree."""
    check_node_type(node, sql)
    if isinstance(node, exp.Func):
        check_function(node, sql)
    if isinstance(node, exp.Table):
        check_table(node, sql, cte_names)
    if isinstance(node, exp.Column):
        check_column(node, sql)
    if isinstance(node, exp.In):
        check_in(node, sql)
    if isinstance(node, (exp.Select, exp.SetOperation)):
        check_query_clauses(node, sql)
    if isinstance(node, exp.With) and node.args.get("recursive"):
        raise reject("recursive", "WITH RECURSIVE is not allowed; write the query without recursion.", node, sql)


def check_node_type(node: exp.Expression, sql: str) -> None:
    """Reject any node type the guard does not know, such as DDL, SET, placeholders or SAMPLE."""
    if isinstance(node, SYNTAX_NODES):
        return
    if isinstance(node, exp.Func):
        if not isinstance(node, TYPED_FUNCTIONS):
            raise reject("function", f"The function {snippet(node, 40)!r} is not on the allow-list of custom SQL.", node, sql)
        return
    if isinstance(node, (exp.Placeholder, exp.Parameter, exp.SessionParameter)):
        raise reject("parameter", f"Query parameters such as {snippet(node)!r} are not supported; write the value itself.", node, sql)
    raise reject("syntax", f"{node.key.upper()} ({snippet(node)!r}) is not supported in custom SQL.", node, sql)


def check_function(node: exp.Func, sql: str) -> None:
    """Reject functions whose name is not on the allow-list (typed sqlglot functions are vetted by type)."""
    if isinstance(node, NAMED_FUNCTIONS):
        name = node.name if isinstance(node.this, str) else node.sql_name()
        if not name or not function_allowed(name):
            raise reject("function", f"The function {name or snippet(node, 40)!r} is not on the allow-list of custom SQL; it may read files, hosts or server state.", node, sql)


def check_table(node: exp.Table, sql: str, cte_names: set[str]) -> None:
    """Allow only the events view or a CTE of the query, unqualified, without table functions or modifiers."""
    if not isinstance(node.this, exp.Identifier):
        raise reject("table_function", f"Table functions such as {snippet(node.this, 40)!r} are not allowed; read from events.", node, sql)
    if node.args.get("db") is not None or node.args.get("catalog") is not None:
        raise reject("qualified_table", f"The table {snippet(node)!r} names a database; only the events view of your scope can be read.", node, sql)
    extra = [key for key, value in node.args.items() if value not in (None, [], False) and key not in ("this", "alias")]
    if extra:
        raise reject("table_modifier", f"Table modifiers ({', '.join(sorted(extra))}) on {node.name!r} are not supported.", node, sql)
    if node.name == EVENT_VIEW or node.name in cte_names:
        return
    raise reject("table", f"The table {node.name!r} is not readable here; custom SQL reads the events view (or a CTE of the query).", node, sql)


def check_column(node: exp.Column, sql: str) -> None:
    """Reject database-qualified column references such as system.tables.name."""
    if node.args.get("db") is not None or node.args.get("catalog") is not None:
        raise reject("qualified_column", f"The reference {snippet(node)!r} names a database; refer to columns by table alias only.", node, sql)


def check_in(node: exp.In, sql: str) -> None:
    """Reject `x IN name` and `x IN (name)`: ClickHouse reads a bare name there as a table."""
    if node.args.get("field") is not None:
        raise reject("in_table", f"IN {snippet(node.args['field'])} reads a table; use IN (SELECT … FROM events) or a list of values.", node, sql)
    values = node.expressions
    if len(values) == 1:
        inner = values[0]
        while isinstance(inner, (exp.Paren, exp.Tuple)) and len(inner.expressions if isinstance(inner, exp.Tuple) else [inner.this]) == 1:
            inner = inner.expressions[0] if isinstance(inner, exp.Tuple) else inner.this
        if isinstance(inner, (exp.Column, exp.Dot, exp.Table)):
            raise reject("in_table", f"IN ({snippet(inner)}) may read a table of that name; use IN (SELECT … FROM events) or a list of values.", node, sql)


def check_query_clauses(node: exp.Expression, sql: str) -> None:
    """Reject SETTINGS, FORMAT, INTO OUTFILE and other query options written by the user."""
    for key, label in FORBIDDEN_SELECT_ARGS.items():
        if node.args.get(key):
            raise reject("clause", f"{label} clauses are not allowed in custom SQL; limits and output format are set by olap.", node, sql)


# --- rewriting -----------------------------------------------------------------------------


def rename_ctes(tree: exp.Expression, sql: str) -> set[str]:
    """Rename every table CTE and the references that resolve to it; return the new names.

    A reference resolves to a CTE defined in an enclosing WITH, or earlier in the same WITH
    when the reference sits inside a CTE body, which is the narrowest reading. A CTE named
    like the events view is rejected rather than allowed to shadow it.
    """
    new_names: set[str] = set()
    ctes = [cte for cte in tree.find_all(exp.CTE) if not cte.args.get("scalar")]
    renamed: dict[int, str] = {}
    for number, cte in enumerate(ctes):
        name = cte.alias
        if not name:
            raise reject("cte", "A CTE without a name cannot be used.", cte, sql)
        if name.lower() == EVENT_VIEW:
            raise reject("cte_shadow", f"A CTE may not be named {name!r}: that name is the events view of your scope. Pick another name.", cte, sql)
        if name.startswith(CTE_PREFIX):
            raise reject("cte", f"CTE names starting with {CTE_PREFIX} are reserved; rename {name!r}.", cte, sql)
        renamed[id(cte)] = f"{CTE_PREFIX}{number}_{name}"
    for with_node in tree.find_all(exp.With):
        names = [cte.alias for cte in with_node.expressions if not cte.args.get("scalar")]
        if len(names) != len(set(names)):
            raise reject("cte", "Two CTEs of one WITH share a name; rename one.", with_node, sql)

    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier) or table.args.get("db") is not None:
            continue
        target = resolve_cte(table)
        if target is None:
            continue
        original = table.name
        table.set("this", exp.to_identifier(renamed[id(target)], quoted=True))
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(original, quoted=True)))
        new_names.add(renamed[id(target)])
    for cte in ctes:
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(renamed[id(cte)], quoted=True)))
    return new_names


def resolve_cte(table: exp.Table) -> exp.CTE | None:
    """Return the table CTE a table reference resolves to, or None for a real table."""
    name = table.name
    child: exp.Expression = table
    node = table.parent
    skip_with: exp.Expression | None = None
    while node is not None:
        if isinstance(node, exp.With) and isinstance(child, exp.CTE):
            index = node.expressions.index(child)
            for cte in reversed(node.expressions[:index]):
                if cte.alias == name and not cte.args.get("scalar"):
                    return cte
            skip_with = node
        else:
            with_node = node.args.get("with_") if isinstance(node, (exp.Select, exp.SetOperation, exp.Subquery)) else None
            if with_node is not None and with_node is not skip_with and child is not with_node:
                for cte in with_node.expressions:
                    if cte.alias == name and not cte.args.get("scalar"):
                        return cte
        child, node = node, node.parent
    return None


@lru_cache(maxsize=8)
def _scoped_select(predicate: str) -> exp.Select:
    return sqlglot.parse_one(f"SELECT * FROM {EVENT_VIEW} WHERE {predicate}", read=DIALECT)


def scoped_events(scope: Scope, alias: str) -> exp.Subquery:
    """Return `(SELECT * FROM events WHERE <scope predicate>) AS alias`."""
    inner = _scoped_select(scope.predicate()).copy()
    return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))


def scope_event_references(tree: exp.Expression, scope: Scope) -> int:
    """Replace every reference to the events view with its scoped subquery; return how many."""
    references = [table for table in tree.find_all(exp.Table) if table.name == EVENT_VIEW]
    for table in references:
        alias = table.alias or EVENT_VIEW
        table.replace(scoped_events(scope, alias))
    return len(references)


def strip_comments(tree: exp.Expression) -> None:
    for node in tree.walk():
        node.comments = None
