from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import Account, User


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
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "account", "role", "password1", "password2"]},
        ),
    ]
    filter_horizontal = ["groups"]
