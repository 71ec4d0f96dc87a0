"""The dashboard's forms only parse what the browser sends; goals.rules judges the values.

Bounds appear as HTML attributes, for the browser's help, but the messages a user reads come from
the rules, as through the API and the Django admin.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from goals import rules
from goals.models import (
    ATTRIBUTION_PERIOD_MAX,
    ATTRIBUTION_PERIOD_MIN,
    CONDITION_VALUE_MAX_LENGTH,
    DEFAULT_ATTRIBUTION_PERIOD,
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    AttributionModel,
    Condition,
    Goal,
    Operator,
)

# The id of the goal form's note that the account is at its active-goal limit.
LIMIT_NOTE_ID = "enabled-limit-note"


class GoalForm(forms.Form):
    # Not required here, so that a blank name is refused by the rules in their words; the page
    # marks it required by its `required` attribute, as every required field (static/css/app.css).
    name = forms.CharField(
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX_LENGTH, "required": True}),
    )
    description = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": DESCRIPTION_MAX_LENGTH}),
    )
    enabled = forms.BooleanField(
        required=False,
        initial=True,
        label="Enabled",
        help_text="Only enabled goals count conversions.",
    )
    attribution_model = forms.ChoiceField(
        choices=AttributionModel.choices,
        initial=AttributionModel.FIRST_TOUCH,
        widget=forms.RadioSelect,
        label="Credit the conversion to",
        help_text="First touch: the first agent who chatted with the visitor. "
        "Last touch: the last one.",
    )
    attribution_period = forms.IntegerField(
        initial=DEFAULT_ATTRIBUTION_PERIOD,
        label="Attribution period (days)",
        help_text=f"A conversion counts if it comes within this many days of the chat "
        f"({ATTRIBUTION_PERIOD_MIN} to {ATTRIBUTION_PERIOD_MAX}).",
        widget=forms.NumberInput(
            attrs={"min": ATTRIBUTION_PERIOD_MIN, "max": ATTRIBUTION_PERIOD_MAX}
        ),
    )

    def __init__(self, *args: Any, limit_reached: bool = False, **kwargs: Any) -> None:
        """limit_reached: the account has all the active goals it may have, so this goal can
        only be saved off; the box then starts unticked, and the page's note beside it
        (LIMIT_NOTE_ID) is read with it."""
        super().__init__(*args, **kwargs)
        self.limit_reached = limit_reached
        if limit_reached:
            enabled = self.fields["enabled"]
            enabled.initial = False
            enabled.widget.attrs["aria-describedby"] = f"{LIMIT_NOTE_ID} id_enabled_helptext"

    @classmethod
    def initial_for(cls, goal: Goal) -> dict[str, Any]:
        return {field: getattr(goal, field) for field in cls.base_fields}


class ConditionForm(forms.Form):
    # A condition needs both (a blank row is skipped). A formset's rows carry no `required`
    # attribute, so aria-required says it, to assistive technology and to the page's marker.
    operator = forms.ChoiceField(
        choices=[(Operator.CONTAINS, "contains"), (Operator.EQUALS, "equals")],
        initial=Operator.CONTAINS,
        label="The URL",
        widget=forms.Select(attrs={"aria-required": "true"}),
    )
    value = forms.CharField(
        required=False,
        strip=False,
        label="Text or URL",
        help_text="equals: scheme and host match in any case, the path and query only as "
        "written. contains: the text as written, in the URL with a lower-case scheme and host.",
        widget=forms.TextInput(
            attrs={
                "maxlength": CONDITION_VALUE_MAX_LENGTH,
                "placeholder": "/pricing or https://shop.example/pricing",
                "aria-required": "true",
            }
        ),
    )


class BaseConditionFormSet(forms.BaseFormSet):
    kept_rows: list[forms.Form]

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["ORDER"].label = "Position"
        form.fields["DELETE"].label = "Remove"

    def conditions(self) -> list[dict[str, str]]:
        """The kept rows, in the order the user gave them, as the rules take conditions."""
        # Kept aside: Django offers ordered_forms only while the formset has no errors, and the
        # rules' errors are put on these rows afterwards.
        self.kept_rows = self.ordered_forms
        return [
            {"operator": form.cleaned_data["operator"], "value": form.cleaned_data["value"]}
            for form in self.kept_rows
        ]

    def add_rules_error(self, key: str, messages: list[str]) -> None:
        """Put a rules' error about the conditions beside the row it is about."""
        named = rules.condition_error_field(key)
        if named is None:
            self._non_form_errors.extend(messages)
            return
        index, field = named
        row = self.kept_rows[index]
        for message in messages:
            row.add_error(field if field in row.fields else None, message)


ConditionFormSet = forms.formset_factory(
    ConditionForm,
    formset=BaseConditionFormSet,
    extra=2,
    can_order=True,
    can_delete=True,
)


def condition_initial(goal: Goal) -> list[dict[str, Any]]:
    return [
        {"operator": condition.operator, "value": condition.value, "ORDER": position}
        for position, condition in enumerate(goal.conditions.all(), start=1)
    ]


def limit_message(error: rules.GoalLimitExceeded) -> str:
    """How a page (the dashboard's, the Django admin's) says that the active-goal limit refused a
    write."""
    return f"Goals limit exceeded. {error}"


def add_goal_errors(form: GoalForm, formset: BaseConditionFormSet, error: ValidationError) -> None:
    """Spread the rules' errors over the goal's fields and its condition rows."""
    for key, messages in error.message_dict.items():
        if key.startswith("conditions"):
            formset.add_rules_error(key, messages)
        else:
            for message in messages:
                form.add_error(key if key in form.fields else None, message)


class UrlTestForm(forms.Form):
    url = forms.CharField(
        label="Try a URL",
        max_length=CONDITION_VALUE_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"placeholder": "https://shop.example/thanks?order=42", "type": "url"}
        ),
    )


def written_conditions(formset: BaseConditionFormSet) -> list[Condition] | None:
    """The conditions as they stand in the goal form, saved or not, in its order and with their
    values as the rules would store them (unsaved Condition objects); rows without a value are
    left out, as saving skips or refuses them. None when the rows cannot be read."""
    if not formset.is_valid():
        return None
    conditions = []
    for condition in formset.conditions():
        value = rules.condition_value_as_stored(condition["value"])
        if value:
            conditions.append(Condition(operator=condition["operator"], value=value))
    return conditions


class GoalsImportForm(forms.Form):
    file = forms.FileField(
        label="An export of goals",
        help_text="A JSON file from “Export goals” in any account, or what GET /api/v2/goals "
        "answers.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
