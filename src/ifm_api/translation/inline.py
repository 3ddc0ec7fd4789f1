"""Rich text as XLIFF segments: HTML elements become inline codes, text stays text.

Every element of a field's HTML becomes a code numbered in document order: a paired code
(``<pc>`` in XLIFF 2.0, ``<g>`` in 1.2) for an element with content, a standalone one
(``<ph>`` / ``<x>``) for a void element such as ``<br>``. The codes carry no markup a
translator could change: on import each code is replaced by the element of the *current*
source with the same id, so links and attributes come from the source. A target must use
exactly the source's codes (each once, of the same kind); it may reorder and nest them.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass

import lxml.html
from lxml import etree

from ifm_api.core.messages import N_

VOID = frozenset({"br", "hr", "img", "wbr"})


@dataclass(frozen=True)
class Code:
    """One element of the source: its code id, kind, tag and attributes."""

    id: str
    paired: bool
    tag: str
    attrib: tuple[tuple[str, str], ...]

    def start_tag(self) -> str:
        attrs = "".join(f' {name}="{html.escape(value)}"' for name, value in self.attrib)
        return f"<{self.tag}{attrs}>"

    def end_tag(self) -> str:
        return f"</{self.tag}>"


@dataclass(frozen=True)
class Names:
    """Element names of one XLIFF version (namespace-qualified)."""

    namespace: str
    paired: str
    standalone: str
    data_refs: bool  # 2.0 points codes at <originalData>

    def q(self, local: str) -> str:
        return f"{{{self.namespace}}}{local}"


XLIFF2 = Names("urn:oasis:names:tc:xliff:document:2.0", "pc", "ph", True)
XLIFF12 = Names("urn:oasis:names:tc:xliff:document:1.2", "g", "x", False)


class InlineError(ValueError):
    """A segment whose codes are not those of the source (the messages say how)."""

    @property
    def messages(self) -> list[str]:
        return [str(arg) for arg in self.args]


def parse_fragment(markup: str) -> lxml.html.HtmlElement:
    """The HTML of a field inside one wrapper element."""
    return lxml.html.fragment_fromstring(markup or "", create_parent="div")


def html_to_segment(
    markup: str,
    container: etree._Element,
    names: Names,
    reuse: list[Code] | None = None,
) -> list[Code]:
    """Fill ``container`` (a ``<source>``/``<target>``) from HTML; return the codes used.

    Codes are numbered in document order; with ``reuse`` (the source's codes, for writing
    an existing translation as a target) each element takes the id of the first unused
    source code of the same element, and ``InlineError`` says when that is impossible or
    leaves a source code unused.
    """
    codes: list[Code] = []
    root = parse_fragment(markup)
    container.text = root.text
    pool = list(reuse) if reuse is not None else None
    for child in root:
        _append(child, container, names, codes, pool)
    if pool:
        raise InlineError("The translation lacks some of the source's markup.")
    return codes


def _allocate(element: lxml.html.HtmlElement, codes: list[Code], pool: list[Code] | None) -> Code:
    paired = element.tag not in VOID
    attrib = tuple(sorted(element.attrib.items()))
    if pool is None:
        return Code(str(len(codes) + 1), paired, element.tag, attrib)
    for index, code in enumerate(pool):
        if (code.paired, code.tag, code.attrib) == (paired, element.tag, attrib):
            return pool.pop(index)
    raise InlineError(f"The translation has markup the source has not ({element.tag}).")


def _append(
    element: lxml.html.HtmlElement,
    parent: etree._Element,
    names: Names,
    codes: list[Code],
    pool: list[Code] | None,
) -> None:
    if not isinstance(element.tag, str):  # a comment or processing instruction: dropped
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + (element.tail or "")
        else:
            parent.text = (parent.text or "") + (element.tail or "")
        return
    code = _allocate(element, codes, pool)
    code_id, paired = code.id, code.paired
    codes.append(code)
    node = etree.SubElement(parent, names.q(names.paired if paired else names.standalone))
    node.set("id", code_id)
    if names.data_refs:
        if paired:
            node.set("dataRefStart", f"d{code_id}s")
            node.set("dataRefEnd", f"d{code_id}e")
        else:
            node.set("dataRef", f"d{code_id}")
    else:
        node.set("ctype", f"x-html-{element.tag}")
    node.tail = element.tail
    if paired:
        node.text = element.text
        for child in element:
            _append(child, node, names, codes, pool)


def original_data(codes: list[Code], unit: etree._Element, names: Names) -> None:
    """XLIFF 2.0: the markup each code stands for, for tools that show it."""
    if not codes or not names.data_refs:
        return
    holder = etree.SubElement(unit, names.q("originalData"))
    for code in codes:
        if code.paired:
            for suffix, markup in (("s", code.start_tag()), ("e", code.end_tag())):
                data = etree.SubElement(holder, names.q("data"), id=f"d{code.id}{suffix}")
                data.text = markup
        else:
            data = etree.SubElement(holder, names.q("data"), id=f"d{code.id}")
            data.text = code.start_tag()


def used_codes(container: etree._Element, names: Names) -> Counter[tuple[str, bool]]:
    """(id, paired) of every code in a segment; other elements are errors."""
    found: Counter[tuple[str, bool]] = Counter()
    for node in container.iterdescendants():
        if not isinstance(node.tag, str):
            continue
        if node.tag == names.q(names.paired):
            found[(node.get("id", ""), True)] += 1
        elif node.tag == names.q(names.standalone):
            found[(node.get("id", ""), False)] += 1
        else:
            raise InlineError(
                N_("The element {name} is not allowed here.").format(
                    name=etree.QName(node).localname
                )
            )
    return found


def segment_to_html(container: etree._Element, codes: dict[str, Code], names: Names) -> str:
    """Rebuild HTML from a target, each code becoming the source's element of that id.

    Raises ``InlineError`` unless the target uses exactly the source's codes.
    """
    wanted = Counter((code.id, code.paired) for code in codes.values())
    found = used_codes(container, names)
    if found != wanted:
        messages = []
        if missing := sorted(code_id for code_id, _ in wanted - found):
            messages.append(
                N_("Inline codes of the source are missing: {codes}.").format(
                    codes=", ".join(missing)
                )
            )
        if extra := sorted(code_id for code_id, _ in found - wanted):
            messages.append(
                N_("Inline codes that are not the source's: {codes}.").format(
                    codes=", ".join(extra)
                )
            )
        raise InlineError(*messages)
    return _text(container.text) + "".join(_rebuild(child, codes) for child in container)


def _text(value: str | None) -> str:
    return html.escape(value or "", quote=False)


def _rebuild(node: etree._Element, codes: dict[str, Code]) -> str:
    if not isinstance(node.tag, str):
        return _text(node.tail)
    code = codes[node.get("id", "")]
    if not code.paired:
        return code.start_tag() + _text(node.tail)
    inner = _text(node.text) + "".join(_rebuild(child, codes) for child in node)
    return code.start_tag() + inner + code.end_tag() + _text(node.tail)


def plain_text(container: etree._Element, names: Names) -> str:
    """The text of a segment of a plain field; any code in it is an error."""
    if used_codes(container, names):
        raise InlineError(N_("A plain-text field takes no inline codes."))
    return "".join(container.itertext())


def fingerprint(container: etree._Element, names: Names) -> str:
    """A segment as text with its codes marked: equal for equal sources."""
    parts = [container.text or ""]
    for child in container:
        parts.append(_mark(child, names))
    return "".join(parts)


def _mark(node: etree._Element, names: Names) -> str:
    if not isinstance(node.tag, str):
        return node.tail or ""
    local = etree.QName(node).localname
    code_id = node.get("id", "")
    if local == names.standalone:
        return f"{{{code_id}/}}" + (node.tail or "")
    inner = (node.text or "") + "".join(_mark(child, names) for child in node)
    return f"{{{code_id}}}{inner}{{/{code_id}}}" + (node.tail or "")
