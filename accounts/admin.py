from datetime import datetime

# Imported for its registrations, withdrawn or replaced below, whatever the order in which the
# apps' admin modules are loaded.
import oauth2_provider.admin  # noqa: F401
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Max, QuerySet
from django.http import HttpRequest
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from accounts.models import Account, User

# Operators are made with createsuperuser, and who manages goals is goals.rules' to say, not
# Django's permissions: permission groups mean nothing here. Of django-oauth-toolkit's models
# only the API clients mean something to an operator: this service issues tokens by the
# client-credentials grant alone, so there are no grants (authorisation codes), id tokens
# (OpenID Connect) or refresh tokens; and access tokens are stored redacted, live an hour and
# end with their client.
for model in (Group, Grant, IDToken, RefreshToken, AccessToken, Application):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class MemberInline(admin.TabularInline):
    model = User
    fields = ["email", "role", "is_active"]
    readonly_fields = ["email"]
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "member"

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # a user is added on the user page, where the password is set


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "active_goal_limit", "created_at"]
    search_fields = ["name"]
    fields = ["name", "active_goal_limit"]
    inlines = [MemberInline]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "account", "role"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only operators go without an account, and they are made with createsuperuser.
        self.fields["account"].required = True


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "account", "role", "is_active", "is_staff"]
    list_filter = ["role", "is_active", "is_staff", "account"]
    search_fields = ["email"]
    list_select_related = ["account"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Membership", {"fields": ["account", "role"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "account", "role", "password1", "password2"]},
        ),
    ]
    filter_horizontal = []


@admin.register(Application)
class ApiClientAdmin(admin.ModelAdmin):
    """The API clients of every account. An account's administrator creates one on the
    dashboard, where its secret is shown once (accounts.services.api_client_create); an operator
    sees them and revokes one by deleting it, which ends its tokens at once."""

    list_display = ["name", "user", "account", "created", "last_used"]
    list_select_related = ["user__account"]
    search_fields = ["name", "client_id", "user__email"]
    fields = ["name", "client_id", "user", "account", "created", "last_used"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return super().get_queryset(request).annotate(last_used=Max("accesstoken__updated"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False

    @admin.display(description="account")
    def account(self, application: Application) -> Account | None:
        return application.user.account if application.user else None

    @admin.display(description="token last used", ordering="last_used")
    def last_used(self, application: Application) -> datetime | None:
        return application.last_used
