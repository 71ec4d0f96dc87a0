"""Reading the dashboard's pages as a browser without JavaScript would, and filling in its forms."""

from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from typing import Any

from django.test import Client

FORBIDDEN_TITLE = "Only administrators manage goals"

CART_CONDITIONS = [
    {"operator": "equals", "value": "http://cart.com/"},
    {"operator": "contains", "value": "cart"},
]


# --- Reading pages: a small tree from the standard library's html.parser --------------------

VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Element:
    def __init__(self, tag: str, attrs: list[tuple[str, str | None]], parent: "Element | None"):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children: list[Element | str] = []

    def iter(self) -> Iterator["Element"]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def inside(self, tag: str) -> bool:
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node is not None

    def find_all(self, *tags: str) -> list["Element"]:
        return [element for element in self.iter() if element.tag in tags]

    def by_id(self, element_id: str) -> "Element":
        found = [element for element in self.iter() if element.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one element #{element_id}, found {len(found)}"
        return found[0]

    def raw_text(self) -> str:
        return "".join(
            child.raw_text() if isinstance(child, Element) else child for child in self.children
        )

    @property
    def text(self) -> str:
        """The text, whitespace collapsed, entities decoded."""
        return " ".join(self.raw_text().split())


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [], None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID_TAGS:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag: str) -> None:
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(response_or_html: Any) -> Element:
    html = getattr(response_or_html, "content", response_or_html)
    builder = TreeBuilder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def page_text(response: Any) -> str:
    return parse(response).text


def main_text(response: Any) -> str:
    return parse(response).by_id("main").text


def messages_text(response: Any) -> str:
    return parse(response).by_id("messages").text


def error_beside(response: Any, field_id: str) -> str:
    """The error text crispy-forms puts right under the field with this id ("" if none)."""
    errors = [e for e in parse(response).iter() if e.attrs.get("id") == f"{field_id}_error"]
    return errors[0].text if errors else ""


def alerts(root: Element) -> list[str]:
    return [
        element.text
        for element in root.iter()
        if "alert" in (element.attrs.get("class") or "").split()
    ]


def submitted_values(response: Any, form_id: str = "goal-form") -> dict[str, str]:
    """What a browser without JavaScript would submit from the form as rendered."""
    form = parse(response).by_id(form_id)
    values: dict[str, str] = {}
    for element in form.find_all("input", "select", "textarea"):
        name = element.attrs.get("name")
        if not name or element.inside("template"):
            continue  # a <template>'s content is a pattern for scripts, never submitted
        if element.tag == "textarea":
            text = element.raw_text()
            values[name] = text[1:] if text.startswith("\n") else text
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            values[name] = chosen[0].attrs.get("value") or chosen[0].text
        elif element.attrs.get("type") in {"checkbox", "radio"}:
            if "checked" in element.attrs:
                values[name] = element.attrs.get("value") or "on"
        elif element.attrs.get("type") not in {"submit", "button", "reset"}:
            values[name] = element.attrs.get("value") or ""
    return values


# --- Filling in the goal form ---------------------------------------------------------------


def row(operator: str = "contains", value: str = "", order: str = "", delete: bool = False):
    fields = {"operator": operator, "value": value, "ORDER": order}
    if delete:
        fields["DELETE"] = "on"
    return fields


def goal_form(rows: Sequence[dict[str, str]] = (), **fields: Any) -> dict:
    """The goal form's POST data; a field given as None is left out, as an unticked box is."""
    data = {
        "name": "Checkout",
        "description": "",
        "attribution_model": "first_touch",
        "attribution_period": "30",
        "enabled": "on",
        **fields,
        "conditions-TOTAL_FORMS": str(len(rows)),
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
    }
    for index, fields_of_row in enumerate(rows):
        for key, value in fields_of_row.items():
            data[f"conditions-{index}-{key}"] = value
    return {key: value for key, value in data.items() if value is not None}


# --- Signed-in browsers ---------------------------------------------------------------------


def signed_in(user: Any, **client_options: Any) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client
