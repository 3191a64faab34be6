"""Typed decoding of xAPI statements with msgspec, down to the JSON paths the column map reads.

msgspec decodes a line straight into small structs that hold only the values at those
paths. The rest of the statement is checked for JSON syntax but never becomes Python
objects, which with the structs kept out of the garbage collector makes decoding several
times cheaper than keeping what orjson.loads builds. msgspec (0.23) does not check the
UTF-8 or the number range of the values it skips, so the transform also runs orjson over
each line and drops the result.
A line that does not fit the structs raises a msgspec error, and the transform reads it
again with orjson (see olap.ingest.transform), so the structs only ever speed up lines
whose meaning they cannot change. Such lines include a required object (actor, verb,
object) that is missing or not an object, a non-object where a path goes deeper, and an
integer outside the signed 64-bit range.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Iterable, Sequence, Union

import msgspec
from msgspec.structs import astuple

from olap.ingest import mapping

Path = mapping.Path

# Integers outside the signed 64-bit range raise, so their line is read by the orjson
# path, which turns integers beyond 64 bits into their digits as ClickHouse does.
# msgspec cannot bound an integer by 2**64 (msgspec 0.23), so integers from 2**63 to
# 2**64 - 1 take that path too and come out the same.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
LEAF_TYPE = Union[None, bool, Int64, float, str, list, dict]


@dataclass(frozen=True)
class StructNode:
    """A JSON object of the statement as a msgspec struct type.

    `fields` lists (attribute, JSON key, child node) per key; the child is None for a
    leaf. `empty` is the shared instance used in place of a missing object, so every path
    can be read with attribute access and no None checks.
    """

    struct_type: type[msgspec.Struct]
    fields: tuple[tuple[str, str, "StructNode | None"], ...]
    empty: msgspec.Struct | None


class StatementDecoder:
    """Decode JSONL lines into structs holding the values at `paths`.

    Keys named in `required` must be objects at the statement root. Every other object
    on a path may be missing, and each leaf may be missing or null (both read as None).
    """

    def __init__(self, paths: Iterable[Path], required: Iterable[str]):
        tree = path_tree(paths)
        required = frozenset(required)
        for key in required:
            # A required object that no path reads is still decoded, as a struct without fields.
            if tree.setdefault(key, {}) is None:
                raise ValueError(f"required key {key!r} is also read as a value; a required key must be an object")
        self.root = _build_node(tree, required, name="Statement")
        self.decode: Callable[[bytes], msgspec.Struct] = msgspec.json.Decoder(self.root.struct_type).decode
        self._attributes = _attribute_paths(self.root, (), ())

    def accessor(self, path: Path) -> Callable[[msgspec.Struct], Any]:
        """Return a function that reads the value at `path` from a decoded statement."""
        return operator.attrgetter(self._attributes[path])

    def columns(self, statements: Sequence[msgspec.Struct]) -> dict[Path, Sequence]:
        """Return, for every path, the values of all `statements` at it in order."""
        leaves: dict[Path, Sequence] = {}
        _collect_columns(self.root, statements, (), leaves)
        return leaves

    def from_dict(self, statement: dict) -> msgspec.Struct:
        """Build the struct of a statement read by orjson; a non-object on a path reads as missing."""
        return _struct_from_dict(self.root, statement)


def path_tree(paths: Iterable[Path]) -> dict:
    """Nest paths into a tree of dicts by key; a leaf maps to None."""
    tree: dict = {}
    for path in paths:
        node = tree
        for depth, key in enumerate(path):
            last = depth == len(path) - 1
            if last and node.get(key):
                raise ValueError(f"path {path!r} ends at a key that another path goes deeper into; read the parent object as a leaf instead")
            if not last and key in node and node[key] is None:
                raise ValueError(f"path {path!r} goes deeper than a path that ends at {key!r}")
            node = node.setdefault(key, None if last else {})
    return tree


def _build_node(tree: dict, required: frozenset[str], name: str) -> StructNode:
    fields = []
    struct_fields = []
    for index, (key, subtree) in enumerate(tree.items()):
        attribute = f"f{index}"
        if subtree is None:
            fields.append((attribute, key, None))
            struct_fields.append((attribute, LEAF_TYPE, msgspec.field(name=key, default=None)))
            continue
        child = _build_node(subtree, frozenset(), name=f"{name}_{attribute}")
        fields.append((attribute, key, child))
        if key in required:
            struct_fields.append((attribute, child.struct_type, msgspec.field(name=key)))
        else:
            struct_fields.append((attribute, child.struct_type, msgspec.field(name=key, default=child.empty)))

    # Structs are frozen so that one empty instance can replace every missing object, and
    # untracked by the garbage collector because they never form reference cycles.
    struct_type = msgspec.defstruct(name, struct_fields, frozen=True, gc=False, kw_only=True)
    empty = None if required else struct_type()
    return StructNode(struct_type, tuple(fields), empty)


def _attribute_paths(node: StructNode, keys: Path, attributes: tuple[str, ...]) -> dict[Path, str]:
    paths: dict[Path, str] = {}
    for attribute, key, child in node.fields:
        if child is None:
            paths[keys + (key,)] = ".".join(attributes + (attribute,))
        else:
            paths.update(_attribute_paths(child, keys + (key,), attributes + (attribute,)))
    return paths


def _collect_columns(node: StructNode, structs: Sequence[msgspec.Struct], keys: Path, leaves: dict[Path, Sequence]) -> None:
    # One tuple per struct, transposed into one tuple per field: far fewer calls than
    # reading each path of each statement through a chain of attributes.
    if structs:
        field_columns = list(zip(*map(astuple, structs)))
    else:
        field_columns = [()] * len(node.fields)
    for (_, key, child), values in zip(node.fields, field_columns):
        if child is None:
            leaves[keys + (key,)] = values
        else:
            _collect_columns(child, values, keys + (key,), leaves)


def _struct_from_dict(node: StructNode, value: dict) -> msgspec.Struct:
    values = {}
    for attribute, key, child in node.fields:
        item = value.get(key)
        if child is None:
            values[attribute] = item
        elif type(item) is dict:
            values[attribute] = _struct_from_dict(child, item)
        else:
            values[attribute] = child.empty
    return node.struct_type(**values)
