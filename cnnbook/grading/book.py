"""The book as the check helpers point to it: chapters, sections, hints.

Read from the course data ``cnnbook/coursedata/chapters.toml`` (the overlay copies it
into the sandbox: this module runs there too).
"""

from __future__ import annotations

import re

from cnnbook.coursedata import CourseDataError, check_fields, read


def _load() -> dict:
    """chapters.toml, its fields checked (a clear error names the chapter)."""
    data = read("chapters.toml")
    check_fields("chapters.toml", data, {"book_url", "chapter"})
    for n, chapter in enumerate(data["chapter"]):
        check_fields(f"chapters.toml: chapter {n + 1}", chapter,
                     {"number", "path", "title"}, {"hints"})  # fmt: skip
        for hint in chapter.get("hints", []):
            check_fields(f"chapters.toml: chapter {chapter['number']}, hint", hint,
                         {"words", "section"})  # fmt: skip
    if len({c["number"] for c in data["chapter"]}) != len(data["chapter"]):
        raise CourseDataError("chapters.toml: a chapter number is given twice")
    return data


_DATA = _load()

#: Where the built book is published (``ghp-import`` to the repository's gh-pages).
BOOK_URL: str = _DATA["book_url"]

#: Book pages by chapter number: (path in the repository, title).
CHAPTERS: dict[str, tuple[str, str]] = {
    c["number"]: (c["path"], c["title"]) for c in _DATA["chapter"]
}  # fmt: skip

#: The section of a chapter a hint points to: per chapter, (words of the topic, the
#: section's heading in chapters/NN_*.md); the first entry whose words occur in the
#: topic wins. tests/test_grading.py checks that every heading exists and that
#: every hint of the assignments finds a section.
SECTIONS: dict[str, list[tuple[str, str]]] = {
    c["number"]: [(h["words"], h["section"]) for h in c["hints"]]
    for c in _DATA["chapter"] if c.get("hints")
}  # fmt: skip


def section_anchor(heading: str) -> str:
    """The HTML anchor Jupyter Book gives a heading (docutils' ``make_id`` for ASCII)."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def hint(chapter: str, topic: str) -> str:
    """A pointer to the book: ``hint("03", "the output size")`` names the chapter, the
    section on that topic (:data:`SECTIONS`), the chapter's file and its page online."""
    path, title = CHAPTERS[chapter]
    section = next((h for words, h in SECTIONS.get(chapter, []) if words in topic), None)
    url = f"{BOOK_URL}/{path}.html"
    if section is None:
        return f"Hint: reread '{title}' ({path}.md, {url}), on {topic}."
    return (f"Hint: reread '{title}', section '{section}' ({path}.md, "
            f"{url}#{section_anchor(section)}), on {topic}.")
