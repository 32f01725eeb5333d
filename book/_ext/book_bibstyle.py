"""Bibliography labels that read as author and year: "Sunkarapalli n.d.", "LeCun et al. 1998".

Registered as the pybtex style ``authoryear`` (the default style of every ``{bibliography}``, set in
``_config.yml``). Loaded by Jupyter Book through ``sphinx.local_extensions``.
"""

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person) -> str:
    names = person.last_names or person.first_names or ["Anon."]
    return " ".join(str(n) for n in names).replace("{", "").replace("}", "")


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            if not people:
                who = "Anon."
            elif len(people) == 1:
                who = _surname(people[0])
            elif len(people) == 2:
                who = f"{_surname(people[0])} and {_surname(people[1])}"
            else:
                who = f"{_surname(people[0])} et al."
            yield f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = "authoryear"
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
