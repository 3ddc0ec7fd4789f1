"""XLIFF documents: writing 2.0 (or 1.2) files of items, reading translated ones back.

One ``<file>`` per item (id ``<type>.<id>``), one ``<unit>`` (2.0) or ``<trans-unit>`` (1.2)
per translatable field (id ``<type>.<id>.<field>``) with the source text and, when there is
one, the current translation. The file element records in the ``urn:ifm-api:xliff``
namespace the item's version and the time of the export, so an import can tell what changed
since. Parsing never resolves entities nor reads DTDs or the network.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from ifm_api.core.messages import N_
from ifm_api.translation.inline import XLIFF2, XLIFF12, Code, Names, html_to_segment, original_data

IFM_NS = "urn:ifm-api:xliff"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
VERSIONS = {"2.0": XLIFF2, "1.2": XLIFF12}
MEDIA_TYPE = "application/xliff+xml"
ACCEPTED_TYPES = frozenset({MEDIA_TYPE, "application/x-xliff+xml", "application/xml", "text/xml"})
ZIP_TYPE = "application/zip"
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_BYTES = 200 * 2**20  # unpacked; a zip bomb stops here
UNIT_ID = re.compile(r"([a-z_]+)\.([0-9]{1,10})\.([a-z_]+)")
FILE_ID = re.compile(r"([a-z_]+)\.([0-9]{1,10})")


@dataclass
class ExportUnit:
    unit_id: str
    field: str
    source: str
    target: str | None
    rich: bool
    outdated: bool = False  # the target is older than the source's last change


@dataclass
class ExportFile:
    file_id: str
    original: str
    version: int
    exported_at: datetime
    units: list[ExportUnit]


def _ifm(name: str) -> str:
    return f"{{{IFM_NS}}}{name}"


def build_document(files: list[ExportFile], source: str, target: str, version: str) -> bytes:
    names = VERSIONS[version]
    nsmap = {None: names.namespace, "ifm": IFM_NS}
    if version == "2.0":
        root = etree.Element(names.q("xliff"), nsmap=nsmap, version="2.0")
        root.set("srcLang", source)
        root.set("trgLang", target)
    else:
        root = etree.Element(names.q("xliff"), nsmap=nsmap, version="1.2")
    for item in files:
        if version == "2.0":
            _file_20(root, item, names)
        else:
            _file_12(root, item, names, source, target)
    _indent(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


LEAVES = frozenset({"source", "target", "data", "note"})


def _indent(element: etree._Element, level: int = 0) -> None:
    """Indent the structure for people, never inside texts (lxml's pretty printing would
    add whitespace to a segment that starts with an inline code)."""
    if etree.QName(element).localname in LEAVES or not len(element):
        return
    inner = "\n" + "  " * (level + 1)
    element.text = inner
    for child in element:
        _indent(child, level + 1)
        child.tail = inner
    element[-1].tail = "\n" + "  " * level


def _stamp(element: etree._Element, item: ExportFile) -> None:
    element.set(_ifm("version"), str(item.version))
    element.set(_ifm("exported"), item.exported_at.isoformat())


def _file_20(root: etree._Element, item: ExportFile, names: Names) -> None:
    file_el = etree.SubElement(root, names.q("file"), id=item.file_id, original=item.original)
    _stamp(file_el, item)
    for unit in item.units:
        unit_el = etree.SubElement(file_el, names.q("unit"), id=unit.unit_id, name=unit.field)
        unit_el.set(XML_SPACE, "preserve")
        segment = etree.Element(names.q("segment"))
        if unit.target is None or unit.outdated:
            segment.set("state", "initial")
            if unit.target is not None:
                segment.set("subState", "ifm:outdated")  # translated before the source changed
        else:
            segment.set("state", "translated")
        source_el = etree.SubElement(segment, names.q("source"))
        codes = _fill(source_el, unit.source, unit.rich, names)
        if unit.target is not None:
            _fill(etree.SubElement(segment, names.q("target")), unit.target, unit.rich, names)
        original_data(codes, unit_el, names)
        unit_el.append(segment)


def _file_12(
    root: etree._Element, item: ExportFile, names: Names, source: str, target: str
) -> None:
    file_el = etree.SubElement(
        root,
        names.q("file"),
        original=item.original,
        datatype="html",
        **{"source-language": source, "target-language": target},
    )
    file_el.set(_ifm("id"), item.file_id)
    _stamp(file_el, item)
    body = etree.SubElement(file_el, names.q("body"))
    for unit in item.units:
        unit_el = etree.SubElement(body, names.q("trans-unit"), id=unit.unit_id)
        unit_el.set("resname", unit.field)
        unit_el.set(XML_SPACE, "preserve")
        _fill(etree.SubElement(unit_el, names.q("source")), unit.source, unit.rich, names)
        if unit.target is not None:
            state = "needs-review-translation" if unit.outdated else "translated"
            target_el = etree.SubElement(unit_el, names.q("target"), state=state)
            _fill(target_el, unit.target, unit.rich, names)


def _fill(container: etree._Element, text: str, rich: bool, names: Names) -> list[Code]:
    if rich:
        return html_to_segment(text, container, names)
    container.text = text
    return []


# --- reading ---------------------------------------------------------------------------------


class XliffInvalid(ValueError):
    """A document that cannot be imported; ``errors`` maps places (unit ids) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(errors)


@dataclass
class ParsedUnit:
    unit_id: str
    source: etree._Element | None
    target: etree._Element | None


@dataclass
class ParsedFile:
    file_id: str
    version: int | None
    exported_at: datetime | None
    units: list[ParsedUnit] = field(default_factory=list)


@dataclass
class ParsedDocument:
    names: Names
    source_lang: str | None
    target_lang: str | None
    files: list[ParsedFile]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_document(data: bytes) -> ParsedDocument:
    """Read an XLIFF 2.0 or 1.2 document (``XliffInvalid`` when it is neither)."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        message = N_("Not well-formed XML: {reason}").format(reason=exc.msg)
        raise XliffInvalid({"_document": [message]}) from exc
    names = next((n for n in VERSIONS.values() if root.tag == n.q("xliff")), None)
    if names is None:
        raise XliffInvalid({"_document": [N_("Not an XLIFF 2.0 or 1.2 document.")]})
    if names is XLIFF2:
        return ParsedDocument(
            names, root.get("srcLang"), root.get("trgLang"), _files_20(root, names)
        )
    files, source, target = _files_12(root, names)
    return ParsedDocument(names, source, target, files)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 10 else None


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _files_20(root: etree._Element, names: Names) -> list[ParsedFile]:
    files = []
    for file_el in root.findall(names.q("file")):
        parsed = ParsedFile(
            file_el.get("id", ""),
            _int(file_el.get(_ifm("version"))),
            _time(file_el.get(_ifm("exported"))),
        )
        for unit_el in file_el.iter(names.q("unit")):
            segments = unit_el.findall(names.q("segment"))
            segment = segments[0] if len(segments) == 1 else None
            parsed.units.append(
                ParsedUnit(
                    unit_el.get("id", ""),
                    segment.find(names.q("source")) if segment is not None else None,
                    segment.find(names.q("target")) if segment is not None else None,
                )
            )
        files.append(parsed)
    return files


def _files_12(
    root: etree._Element, names: Names
) -> tuple[list[ParsedFile], str | None, str | None]:
    files = []
    sources, targets = set(), set()
    for file_el in root.findall(names.q("file")):
        sources.add(file_el.get("source-language"))
        targets.add(file_el.get("target-language"))
        parsed = ParsedFile(
            file_el.get(_ifm("id"), ""),
            _int(file_el.get(_ifm("version"))),
            _time(file_el.get(_ifm("exported"))),
        )
        for unit_el in file_el.iter(names.q("trans-unit")):
            parsed.units.append(
                ParsedUnit(
                    unit_el.get("id", ""),
                    unit_el.find(names.q("source")),
                    unit_el.find(names.q("target")),
                )
            )
        files.append(parsed)
    source = sources.pop() if len(sources) == 1 else None
    target = targets.pop() if len(targets) == 1 else None
    return files, source, target


def parse_zip(data: bytes) -> ParsedDocument:
    """A zip of XLIFF documents (as a translation job exports them) as one document.

    Every member must be XLIFF of the same version and languages; faults are named by the
    member's name. Sizes are checked before anything is unpacked.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError) as exc:
        raise XliffInvalid({"_document": [N_("Not a zip file.")]}) from exc
    too_big = sum(info.file_size for info in members) > MAX_ZIP_BYTES
    if not members or len(members) > MAX_ZIP_MEMBERS or too_big:
        message = N_("The zip file must hold 1 to {count} XLIFF documents, {size} MiB at most.")
        raise XliffInvalid(
            {"_document": [message.format(count=MAX_ZIP_MEMBERS, size=MAX_ZIP_BYTES // 2**20)]}
        )
    documents: list[ParsedDocument] = []
    errors: dict[str, list[str]] = {}
    for info in members:
        try:
            with archive.open(info) as member:
                content = member.read(MAX_ZIP_BYTES + 1)
            documents.append(parse_document(content))
        except XliffInvalid as exc:
            for messages in exc.errors.values():
                errors.setdefault(info.filename, []).extend(messages)
        except (zipfile.BadZipFile, ValueError, RuntimeError, OSError):
            errors.setdefault(info.filename, []).append(N_("Not a zip file."))
    if errors:
        raise XliffInvalid(errors)
    first = documents[0]
    for info, document in zip(members, documents, strict=True):
        same = (document.names, document.source_lang, document.target_lang)
        if same != (first.names, first.source_lang, first.target_lang):
            errors.setdefault(info.filename, []).append(
                N_("The documents of a zip must share XLIFF version and languages.")
            )
    if errors:
        raise XliffInvalid(errors)
    files = [parsed for document in documents for parsed in document.files]
    return ParsedDocument(first.names, first.source_lang, first.target_lang, files)
