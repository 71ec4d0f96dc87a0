"""The report's filters, read from the query string so that a view can be shared."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict

from conversions import reports
from conversions.models import NO_DEPARTMENT

RANGES = [("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"), ("custom", "Dates")]
DEFAULT_RANGE = "30"
# A range longer than ten years is a typing mistake; the chart counts weeks past 90 days.
LONGEST_RANGE = 3653
# Dates a report may cover: its previous period, ten years before, and the day after its end must
# be dates too.
EARLIEST, LATEST = date(1970, 1, 1), date(9989, 12, 31)
DATE_FORMAT = "%Y-%m-%d"


class ReportForm(forms.Form):
    """The range (one of RANGES, ending today, or the dates from `start` to `end`) and the goal,
    agent and department filters, each "" for all."""

    range = forms.ChoiceField(
        choices=RANGES,
        required=False,
        label="Period",
        error_messages={"invalid_choice": "Choose the last 7, 30 or 90 days, or dates."},
    )
    # Dates as the browser's date field sends them: 01/02/2026 would be read as January 2nd
    # whatever the reader meant.
    start = forms.DateField(
        required=False,
        label="From",
        input_formats=[DATE_FORMAT],
        error_messages={"invalid": "Enter a real date, as YYYY-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        required=False,
        label="To",
        input_formats=[DATE_FORMAT],
        error_messages={"invalid": "Enter a real date, as YYYY-MM-DD."},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    goal = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    agent = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    department = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, data: QueryDict, *, choices: dict[str, list[tuple[int, str]]], today: date):
        data = data.copy()
        # No period asked: the dates, if given, else the default period.
        if not data.get("range"):
            data["range"] = "custom" if data.get("start") or data.get("end") else DEFAULT_RANGE
        super().__init__(data)
        self.today = today
        self.fields["goal"].choices = [("", "All goals"), *choices["goals"]]
        self.fields["agent"].choices = [("", "All agents"), *choices["agents"]]
        self.fields["department"].choices = [
            ("", "All departments"),
            *choices["departments"],
            (NO_DEPARTMENT, "No department"),
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        period = cleaned.get("range")
        if period is None:
            return cleaned
        if period != "custom":
            cleaned["start"] = self.today - timedelta(days=int(period) - 1)
            cleaned["end"] = self.today
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if start is None:
            self.add_error("start", "Enter the first day, or choose a period.")
        if end is None:
            self.add_error("end", "Enter the last day, or choose a period.")
        for name, day in (("start", start), ("end", end)):
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, f"Choose a day from {EARLIEST.year} to {LATEST.year}.")
        if self.errors:
            return cleaned
        if start and end and start > end:
            self.add_error("end", "The last day comes before the first.")
        elif start and end and (end - start).days >= LONGEST_RANGE:
            self.add_error("start", "Choose at most ten years.")
        return cleaned

    @property
    def filters(self) -> reports.Filters:
        """The filters of a valid form."""
        data = self.cleaned_data
        return reports.Filters(
            start=data["start"],
            end=data["end"],
            goal_id=data["goal"],
            agent_id=data["agent"],
            department_id=data["department"],
        )

    def query(self, **changes: object) -> str:
        """The query string of these filters with some changed ("" or None drops one)."""
        data = self.cleaned_data
        values = {
            "range": data["range"],
            "start": data["start"].isoformat() if data["range"] == "custom" else None,
            "end": data["end"].isoformat() if data["range"] == "custom" else None,
            "goal": data["goal"],
            "agent": data["agent"],
            "department": data["department"],
        }
        values.update(changes)
        return urlencode({name: value for name, value in values.items() if value not in (None, "")})
