"""The operators' Django admin for goals: its forms check through goals.rules, its saves write
through goals.rules, so the validation and the active-goal limit hold here as in the API."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import construct_change_message
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import Account
from goals import history, rules
from goals.dashboard.forms import limit_message
from goals.models import Condition, Goal
from infra.words import listed, quoted_names

GOAL_FIELDS = ["name", "description", "enabled", "attribution_model", "attribution_period"]


def inline_conditions(formset: BaseInlineFormSet) -> list[dict[str, str]]:
    """The conditions the inline keeps, ordered by position."""
    kept = [
        form
        for form in formset.forms
        if (form.has_changed() or form.instance.pk) and not form.cleaned_data.get("DELETE")
    ]
    kept.sort(key=lambda form: form.cleaned_data.get("position") or 0)
    return [
        {field: form.cleaned_data.get(field) for field in ("type", "operator", "value")}
        for form in kept
    ]


def add_rules_errors(form: ModelForm, error: ValidationError) -> None:
    """Put the rules' errors beside the form's fields (a condition's errors beside its row's)."""
    for key, key_messages in error.message_dict.items():
        named = rules.condition_error_field(key)
        field = named[1] if named else key
        form.add_error(field if field in form.fields else None, key_messages)


class ConditionAdminForm(ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The rules store positions from 0; people count from 1, as the dashboard does. A number
        # entered only orders the conditions (inline_conditions), the rules then store 0, 1, ...
        if self.instance.pk is not None:
            self.initial["position"] = self.instance.position + 1
        position = self.fields["position"]
        position.widget.attrs["min"] = 1
        position.help_text = "1 for the first; the conditions keep the order of these numbers."

    def clean(self) -> dict[str, Any]:
        # The rules judge the row before the model's constraints would, so their words, beside
        # the field, are what the operator reads; the constraints then skip the fields in error.
        cleaned = super().clean()
        if not self.errors:
            try:
                rules.goal_check(conditions=[cleaned])
            except ValidationError as error:
                add_rules_errors(self, error)
        return cleaned


class ConditionInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            rules.goal_check(conditions=inline_conditions(self))
        except ValidationError as error:
            # Each row was judged on its own already: what is left is about the whole list.
            raise ValidationError(error.message_dict["conditions"]) from error


class RulesSayWhoManagesGoals:
    """Who may see and change goals here is goals.rules' to say (operators: every account's), not
    Django's per-model permissions; the admin site itself lets in only active operators."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return True

    def has_view_permission(self, request: HttpRequest, obj: Goal | None = None) -> bool:
        return obj is None or rules.may_manage_goals(
            request.user, obj.account, in_django_admin=True
        )

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class ConditionInline(RulesSayWhoManagesGoals, admin.TabularInline):
    model = Condition
    form = ConditionAdminForm
    formset = ConditionInlineFormSet
    fields = ["position", "type", "operator", "value"]
    extra = 1
    ordering = ["position"]


class GoalAdminForm(ModelForm):
    class Meta:
        model = Goal
        fields = ["account", *GOAL_FIELDS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        account = cleaned.get("account") or getattr(self.instance, "account", None)
        if account is None or self.errors:
            return cleaned
        goal = self.instance if self.instance.pk else None
        try:
            rules.goal_check(
                account=account,
                goal=goal,
                **{field: cleaned[field] for field in GOAL_FIELDS if field in cleaned},
            )
        except ValidationError as error:
            add_rules_errors(self, error)
        except rules.GoalLimitExceeded as error:
            self.add_error("enabled", limit_message(error))
        return cleaned


@admin.register(Goal)
class GoalAdmin(RulesSayWhoManagesGoals, admin.ModelAdmin):
    form = GoalAdminForm
    inlines = [ConditionInline]
    list_display = ["name", "account", "enabled", "attribution_model", "attribution_period"]
    list_filter = ["account", "enabled", "attribution_model"]
    search_fields = ["name"]
    list_select_related = ["account"]
    actions = ["enable_selected", "disable_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Goal | None = None) -> list[str]:
        # A goal stays in its account: moving it would dodge the other account's limit.
        return ["account"] if obj else []

    def save_model(self, request: HttpRequest, obj: Goal, form: ModelForm, change: bool) -> None:
        """Nothing yet: save_related writes the goal and its conditions in one rules call."""

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list, change: bool
    ) -> None:
        fields = {field: form.cleaned_data[field] for field in GOAL_FIELDS}
        conditions = inline_conditions(formsets[0])
        if change:
            saved = rules.goal_update(
                goal=Goal.objects.get(pk=form.instance.pk),
                actor=request.user,
                conditions=conditions,
                **fields,
            )
        else:
            saved = rules.goal_create(
                account=form.cleaned_data["account"],
                actor=request.user,
                conditions=conditions,
                **fields,
            )
        # The admin goes on with the form's own object: give it the saved row's id.
        form.instance.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Goal) -> None:
        rules.goal_delete(goal=obj, actor=request.user)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Goal]) -> None:
        for goal in queryset.select_related("account"):
            rules.goal_delete(goal=goal, actor=request.user)

    def construct_change_message(
        self, request: HttpRequest, form: ModelForm, formsets: list, add: bool
    ) -> list:
        # The rules wrote the conditions, not the inline formset, which so has nothing to report.
        return construct_change_message(form, [], add)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """The goal's "History": its changes as goals.history records them, through every door,
        in the read-only Goal changes list, in place of Django's log of the admin's own saves."""
        if not self.has_view_permission(request, self.get_object(request, object_id)):
            raise PermissionDenied
        changes = reverse("admin:goals_historicalgoal_changelist")
        return HttpResponseRedirect(f"{changes}?{urlencode({'id': object_id})}")

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The form checked the limit already; a write that lost a race for the last place since
        # is refused by the rules under the account's lock, and said so here, not as a 500.
        try:
            return super().changeform_view(request, *args, **kwargs)
        except rules.GoalLimitExceeded as error:
            self.message_user(request, f"Nothing was saved. {limit_message(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description="Enable selected goals")
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[Goal]) -> None:
        self._set_enabled(request, queryset, enabled=True)

    @admin.action(description="Disable selected goals")
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[Goal]) -> None:
        self._set_enabled(request, queryset, enabled=False)

    def _set_enabled(
        self, request: HttpRequest, queryset: QuerySet[Goal], *, enabled: bool
    ) -> None:
        # One message of each kind, however many goals were selected, each goal named with its
        # account: two accounts may have goals of one name.
        changed, already = [], []
        refused: dict[Account, tuple[rules.GoalLimitExceeded, list[str]]] = {}
        for goal in queryset.select_related("account").order_by("id"):
            named = f"“{goal.name}” ({goal.account})"
            if goal.enabled == enabled:
                already.append(named)
                continue
            try:
                rules.goal_set_enabled(goal=goal, actor=request.user, enabled=enabled)
                changed.append(named)
            except rules.GoalLimitExceeded as error:
                refused.setdefault(goal.account, (error, []))[1].append(goal.name)
        state = "Enabled" if enabled else "Disabled"
        if changed:
            self.message_user(request, f"{state}: {listed(changed)}.", messages.SUCCESS)
        if already:
            self.message_user(
                request,
                f"Left as they were, {state.lower()} already: {listed(already)}.",
                messages.INFO,
            )
        for account, (error, names) in refused.items():
            self.message_user(
                request,
                f"Goals limit exceeded in {account}, which may have {error.limit} active goals "
                f"at once, so these stay disabled: {quoted_names(names)}. Disable others first, "
                "or raise the account's limit.",
                messages.ERROR,
            )


@admin.register(Goal.history.model)
class GoalChangeAdmin(RulesSayWhoManagesGoals, admin.ModelAdmin):
    """Every change of every goal (deleted goals' too), read only: the history is written by the
    goal writes themselves (goals.history), never by hand."""

    list_display = ["history_date", "name", "id", "changes", "actor_email", "door", "api_client"]
    list_filter = ["door", "history_type", "account"]
    search_fields = ["name", "actor_email"]
    list_select_related = ["account"]
    list_per_page = 50

    @admin.display(description="What changed")
    def changes(self, row: Any) -> str:
        return " ".join(history.what_changed(row.prev_record, row))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
