"""Outlets with identity: a registry of who publishes what, and how an article's outlet is found.

An *outlet* is the publisher of an article. Without a registry the outlet is what the record says (its ``source``),
else the host of its URL, else the first agency named in its desk tag (``irv/hk (Meridian Press, Continental
Radio)``), else :data:`~storyline.records.UNKNOWN_OUTLET` — never the name of the file the record came from (that
stays in the article's ``origin``). Every agency a desk tag names is *credited* (``extra["credited"]``): it
contributed to the article, but the article counts once, for its outlet.

The optional registry (``outlets.toml`` or CSV, :func:`load_outlets_file`; stored by ``storyline outlets import``)
gives outlets a canonical name, aliases, domains and attributes (country, language, kind, owner, and any attribute
the user supplies, e.g. a lean rating — storyline ships none). :class:`Registry` maps an article to a registered
outlet by name or alias, by URL host (the host or any parent domain of it registered), or, for an article with no
outlet, by a desk-tag code registered as an alias (``sct/dw`` with ``aliases = ["dw"]``). See docs/outlets.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from .errors import ConfigError
from .records import UNKNOWN_OUTLET, Article

FIELDS = ("name", "aliases", "domains", "country", "language", "kind", "owner")
# attributes every outlet has a slot for (the rest of a registry entry's keys are the user's own attributes)
CORE_ATTRIBUTES = ("country", "language", "kind", "owner")
KIND_EXAMPLES = ("wire", "broadcaster", "national", "local", "magazine", "digital")


@dataclass(frozen=True, slots=True)
class Outlet:
    """One registered outlet. ``attributes`` holds the user's own attributes (e.g. ``{"lean": "centre"}``)."""

    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    country: str | None = None
    language: str | None = None
    kind: str | None = None
    owner: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def attribute(self, name: str) -> str | None:
        """A core attribute (country, language, kind, owner) or a user attribute; None when not given."""
        if name in CORE_ATTRIBUTES:
            return getattr(self, name)
        return self.attributes.get(name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases), "domains": list(self.domains),
                "country": self.country, "language": self.language, "kind": self.kind, "owner": self.owner,
                "attributes": dict(self.attributes)}

def registry_digest(outlets: Sequence[Outlet]) -> str:
    """A digest of the registry's content (what coverage reads), the same whichever backend stores it: part of a
    stored story view's version, so an import that changes an outlet's attributes rebuilds the views."""
    rows = sorted([o.name, list(o.aliases), list(o.domains), o.country, o.language, o.kind, o.owner,
                   sorted(dict(o.attributes).items())] for o in outlets)
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]



def name_key(name: str) -> str:
    """How names and aliases are compared: case-folded, whitespace collapsed ("meridian  PRESS" = "Meridian Press")."""
    return " ".join(name.split()).casefold()


def host_of(url: str | None) -> str | None:
    """The URL's host, lower case, without a leading ``www.`` (None when there is none)."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    return host.removeprefix("www.") or None


def clean_domain(value: str) -> str:
    """A registered domain as typed ("https://www.Example.test/", "example.test") → ``example.test``."""
    v = value.strip()
    if "/" in v:
        v = host_of(v if "://" in v else f"//{v}") or ""
    return v.rstrip(".").lower().removeprefix("www.")


# a desk tag: initials joined by slashes ("sct/dw"), optionally followed by agencies in parentheses
# ("jsi/msh (AP, Reuters)"); a by-line may end in agencies too ("By Jane Doe (Reuters)")
_DESK = re.compile(r"^(?P<codes>[\w.-]{1,15}(?:/[\w.-]{1,15})+)\s*(?:\((?P<agencies>[^()]{1,60})\))?$", re.UNICODE)
_BY_AGENCIES = re.compile(r"^(?:By|BY|by)\s.+?\((?P<agencies>[^()]{1,60})\)$")
_AGENCY_SPLIT = re.compile(r"\s*(?:,|;|/|&|\band\b)\s*")


def desk_agencies(byline: str | None) -> tuple[str, ...]:
    """The agencies a desk tag or by-line credits, in order: ``"irv/hk (Meridian Press, Continental Radio)"`` →
    ``("Meridian Press", "Continental Radio")``; ``"sct/dw"`` → ``()`` (codes name no agency by themselves).

    >>> desk_agencies("jsi/msh (AP, Reuters)")
    ('AP', 'Reuters')
    """
    if not byline:
        return ()
    s = " ".join(byline.split())
    m = _DESK.match(s) or _BY_AGENCIES.match(s)
    if not m or not m.group("agencies"):
        return ()
    names = [n.strip(" .") for n in _AGENCY_SPLIT.split(m.group("agencies"))]
    return tuple(dict.fromkeys(n for n in names if n))


def desk_codes(byline: str | None) -> tuple[str, ...]:
    """The slash-separated codes of a desk tag (``"sct/dw"`` → ``("sct", "dw")``); () for anything else."""
    if not byline:
        return ()
    m = _DESK.match(" ".join(byline.split()))
    return tuple(m.group("codes").split("/")) if m else ()


# -- reading a registry file ---------------------------------------------------------------------------------------
def load_outlets_file(path: str | Path) -> list[Outlet]:
    """Read ``outlets.toml`` (``[[outlet]]`` tables) or a CSV (a header row naming the fields). Any key or column
    other than name, aliases, domains, country, language, kind and owner is a user attribute. In CSV, aliases and
    domains are separated by ``;``. Raises :class:`ConfigError` naming the file and the entry on a bad one."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"outlets file {str(p)!r} does not exist; give an outlets.toml or .csv "
                          "(docs/outlets.md shows both shapes)")
    try:
        text = p.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read outlets file {str(p)!r} ({e}); it must be a UTF-8 text file") from None
    suffix = p.suffix.lower()
    if suffix == ".toml":
        entries = _toml_entries(text, str(p))
    elif suffix in (".csv", ".tsv"):
        entries = _csv_entries(text, str(p), "\t" if suffix == ".tsv" else ",")
    else:
        raise ConfigError(f"outlets file {str(p)!r} has the extension {suffix or '(none)'!r}; "
                          "valid: .toml, .csv, .tsv")
    outlets = [_outlet(entry, f"{p}: entry {i}") for i, entry in enumerate(entries, 1)]
    check_unique(outlets, str(p))
    return outlets


def _toml_entries(text: str, where: str) -> list[Mapping[str, Any]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{where}: not valid TOML ({e})") from None
    entries = doc.get("outlet", doc.get("outlets"))
    unknown = sorted(set(doc) - {"outlet", "outlets"})
    if entries is None or unknown or not isinstance(entries, list):
        raise ConfigError(f"{where}: expected [[outlet]] tables (one per outlet), found "
                          f"{sorted(doc) or 'nothing'}; e.g.\n[[outlet]]\nname = \"Meridian Press\"\nkind = \"wire\"")
    return entries


def _csv_entries(text: str, where: str, delimiter: str) -> list[Mapping[str, Any]]:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or "name" not in [f.strip().lower() for f in reader.fieldnames]:
        raise ConfigError(f"{where}: the first row must name the columns, one of them 'name' "
                          f"(found {reader.fieldnames}); other columns: {', '.join(FIELDS[1:])} or your own")
    out = []
    for row in reader:
        entry: dict[str, Any] = {}
        for k, v in row.items():
            if k is None:
                raise ConfigError(f"{where}: line {reader.line_num} has more cells than the header has columns")
            key, value = k.strip().lower(), (v or "").strip()
            if not value:
                continue
            entry[key] = [x.strip() for x in value.split(";") if x.strip()] if key in ("aliases", "domains") else value
        if entry:
            out.append(entry)
    return out


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{what} must be text, got {value!r}")
    s = " ".join(str(value).split())
    return s or None


def _outlet(entry: Any, where: str) -> Outlet:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: expected a table of fields, got {entry!r}")
    name = _text(entry.get("name"), f"{where}: name")
    if not name:
        raise ConfigError(f"{where}: has no name; every outlet needs name = \"…\"")
    if name_key(name) == name_key(UNKNOWN_OUTLET):
        raise ConfigError(f"{where}: {name!r} is the name storyline gives articles without an outlet; pick another")
    lists = {}
    for key in ("aliases", "domains"):
        raw = entry.get(key, [])
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            raise ConfigError(f"{where} ({name}): {key} must be a list of text, got {raw!r}")
        lists[key] = tuple(dict.fromkeys(t for t in (_text(x, f"{where} ({name}): {key}") for x in raw) if t))
    domains = tuple(dict.fromkeys(d for d in map(clean_domain, lists["domains"]) if d))
    attributes = {}
    for key, value in entry.items():
        if key in FIELDS:
            continue
        text = _text(value, f"{where} ({name}): attribute {key!r}")
        if text is not None:
            attributes[str(key)] = text
    core = {k: _text(entry.get(k), f"{where} ({name}): {k}") for k in CORE_ATTRIBUTES}
    return Outlet(name=name, aliases=lists["aliases"], domains=domains,
                  country=core["country"], language=(core["language"] or "").lower() or None,
                  kind=(core["kind"] or "").lower() or None, owner=core["owner"], attributes=attributes)


def check_unique(outlets: Sequence[Outlet], where: str) -> None:
    """Each name, alias and domain points at one outlet only."""
    names: dict[str, str] = {}
    domains: dict[str, str] = {}
    seen: set[str] = set()
    for o in outlets:
        if o.name in seen:
            raise ConfigError(f"{where}: the outlet {o.name!r} is listed twice; merge its entries into one")
        seen.add(o.name)
        for n in (o.name, *o.aliases):
            other = names.setdefault(name_key(n), o.name)
            if other != o.name:
                raise ConfigError(f"{where}: the name or alias {n!r} belongs to both {other!r} and {o.name!r}; "
                                  "a name may point at one outlet only")
        for d in o.domains:
            other = domains.setdefault(d, o.name)
            if other != o.name:
                raise ConfigError(f"{where}: the domain {d!r} belongs to both {other!r} and {o.name!r}")


# -- matching ------------------------------------------------------------------------------------------------------
class Registry:
    """Registered outlets, matched by name/alias, URL host or desk-tag code.

    >>> r = Registry([Outlet("Meridian Press", aliases=("MP",), domains=("meridianpress.test",))])
    >>> r.outlet_name("mp"), r.outlet_name(None, url="https://news.meridianpress.test/a")
    ('Meridian Press', 'Meridian Press')
    """

    def __init__(self, outlets: Iterable[Outlet] = ()):
        self.outlets = {o.name: o for o in outlets}
        self._names = {name_key(n): o.name for o in self.outlets.values() for n in (o.name, *o.aliases)}
        self._domains = {d: o.name for o in self.outlets.values() for d in o.domains}

    def __len__(self) -> int:
        return len(self.outlets)

    def __bool__(self) -> bool:
        return bool(self.outlets)

    def get(self, name: str) -> Outlet | None:
        """The registered outlet called ``name`` (canonical name or alias), else None."""
        return self.outlets.get(self._names.get(name_key(name), ""))

    def by_host(self, host: str | None) -> str | None:
        """The outlet whose registered domain is ``host`` or a parent domain of it (the longest match wins:
        ``news.example.co.uk`` → the outlet of ``example.co.uk``)."""
        if not host:
            return None
        labels = host.lower().removeprefix("www.").split(".")
        for i in range(len(labels) - 1):  # never a bare top-level label ("uk")
            hit = self._domains.get(".".join(labels[i:]))
            if hit:
                return hit
        return None

    def outlet_name(self, given: str | None, *, url: str | None = None, byline: str | None = None) -> str | None:
        """The registered outlet of an article whose own outlet is ``given`` (None or the unknown outlet when it
        has none): by name or alias, else by URL host, else — only without an outlet — by a desk-tag code or a
        credited agency registered as a name or alias. None when no registered outlet matches."""
        unknown = not given or name_key(given) == name_key(UNKNOWN_OUTLET)
        if not unknown:
            hit = self._names.get(name_key(given))
            if hit:
                return hit
        hit = self.by_host(host_of(url))
        if hit:
            return hit
        if unknown:
            for name in (*desk_agencies(byline), *reversed(desk_codes(byline))):
                hit = self._names.get(name_key(name))
                if hit:
                    return hit
        return None

    def canonical_agencies(self, agencies: Iterable[str]) -> list[str]:
        """Credited agencies under their registered names where they have one."""
        return list(dict.fromkeys(self._names.get(name_key(a), a) for a in agencies))

    def resolve(self, source: str, url: str | None, byline: str | None,
                extra: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """The outlet and ``extra`` an article should have under this registry, or None when they stay as they
        are. The outlet the record gave is kept in ``extra["outlet_as_given"]`` while a registered name replaces it,
        so a later registry can resolve it afresh (and ids, hashed from the record's own outlet, never change)."""
        given = str(extra.get("outlet_as_given") or source)
        new = self.outlet_name(given, url=url, byline=byline) or given
        if new == source and (new == given) == ("outlet_as_given" not in extra):
            return None
        out = dict(extra)
        if new == given:
            out.pop("outlet_as_given", None)
        else:
            out["outlet_as_given"] = given
        return new, out

    def apply(self, article: Article) -> Article:
        """``article`` with its outlet resolved through the registry (the same article when nothing changes)."""
        import dataclasses

        hit = self.resolve(article.source, article.url, article.byline, article.extra) if self.outlets else None
        if hit is None:
            return article
        return dataclasses.replace(article, source=hit[0], extra=hit[1])


def import_outlets_file(store: Any, path: str | Path, *, replace: bool = False,
                        only_if_changed: bool = False) -> dict[str, int]:
    """Read an outlets file into ``store``'s registry (:meth:`Store.put_outlets`) and re-resolve the stored
    articles' outlets. ``only_if_changed``: nothing is written when every outlet of the file is stored as it is."""
    outlets = load_outlets_file(path)
    if only_if_changed and not replace:
        stored = {o.name: o for o in store.list_outlets()}
        if all(stored.get(o.name) == o for o in outlets):
            return {"added": 0, "updated": 0, "removed": 0, "articles_changed": 0}
    return store.put_outlets(outlets, imported_from=str(path), replace=replace)


def outlet_listing(store: Any) -> tuple[list[dict[str, Any]], int]:
    """Every registered outlet and every outlet seen in the articles (``registered`` false), with current article
    and story counts; and how many current articles have no known outlet."""
    counts = store.outlet_counts()
    rows: list[dict[str, Any]] = []
    registered = store.list_outlets()
    for o in registered:
        c = counts.get(o.name, {})
        rows.append({**o.to_dict(), "registered": True, "articles": c.get("articles", 0),
                     "stories": c.get("stories", 0)})
    names = {o.name for o in registered}
    for name, c in sorted(counts.items(), key=lambda kv: kv[0].casefold()):
        if name not in names and name != UNKNOWN_OUTLET:
            rows.append({"name": name, "aliases": [], "domains": [], "country": None, "language": None, "kind": None,
                         "owner": None, "attributes": {}, "registered": False, "articles": c["articles"],
                         "stories": c["stories"]})
    return rows, counts.get(UNKNOWN_OUTLET, {}).get("articles", 0)


def distinct_unknown_outlets(articles: Sequence[Article]) -> list[Article]:
    """Within one story, each article of an unknown outlet is its own source: "unknown outlet 1", "unknown outlet
    2", … in the given order (one alone stays "unknown outlet"). Nothing says two unknown articles share an outlet,
    so neither is taken as a repeat of the other when the view counts sources that agree (docs/outlets.md)."""
    import dataclasses

    unknown = [a.id for a in articles if a.source == UNKNOWN_OUTLET]
    if len(unknown) < 2:
        return list(articles)
    label = {aid: f"{UNKNOWN_OUTLET} {k}" for k, aid in enumerate(unknown, 1)}
    return [dataclasses.replace(a, source=label[a.id]) if a.id in label else a for a in articles]


def unknown_outlets_beyond_one(articles: Sequence[Article], copies: Iterable[Mapping[str, Any]]) -> int:
    """How many more independent sources a story has when each independent article of an unknown outlet counts as
    its own (:func:`distinct_unknown_outlets`) than when they count as one outlet (as the copies stage does)."""
    copied = {c.get("article_id") for c in copies}
    n = sum(1 for a in articles if a.source == UNKNOWN_OUTLET and a.id not in copied)
    return max(0, n - 1)
