"""Admin: staff users and roles (permissions grouped by the plugin that declares them).

Rules (as in `payvand users | roles`): passwords of at least 10 characters taken as typed;
only a superuser may grant superuser or edit a superuser; a user manager may give only roles, and
put into roles only permissions, that they hold themselves; nobody may disable themself or leave
no active superuser; disabling a user ends their sessions at once (their API tokens stop
working while they are disabled, but are not revoked). Every change is audited by the services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from payvand.core import permissions as perm
from payvand.core.actor import Actor
from payvand.core.db import current_session
from payvand.core.models import Role, User
from payvand.core.normalize import NormalizationError, clean_text, normalize_email
from payvand.core.schemas import CleanString
from payvand.core.services import staff
from payvand.core.services import users as svc
from payvand.core.web.access import staff_required, staff_user
from payvand.core.web.forms import FormResult, parse_form
from payvand.core.web.i18n import format_number, translate_text
from payvand.core.web.sessions import DatabaseStore

bp = Blueprint("admin_users", __name__)

PAGE_SIZE = 50
REQUIRED: dict[str, str | list[Any] | dict[Any, Any]] = {"required": "This field is required."}

#: Texts shown through a variable (rule messages of `services.users`, form messages and the
#: core's permission descriptions), listed so that message extraction finds them.
MESSAGES = (
    _l("You cannot disable your own account."), _l("At least one active superuser must remain."),
    _l("Personal roles cannot be given to other users."), _l("A password needs at least %(count)s characters."),
    _l("A password needs at least 10 characters."), _l("Give the role a name."),
    _l("Role names starting with “user:” are reserved for personal roles."),
    _l("A role name has at most %(count)s characters."), _l("A role with this name already exists."),
    _l("Choose at least one permission."), _l("Unknown permission: %(names)s"), _l("Unknown scope: %(names)s"),
    _l("A token name must have 1 to %(count)s characters."), _l("A token name must have 1 to 120 characters."),
    _l("This user is disabled: enable them first."), _l("The expiry must be in the future."),
    _l("Enter a valid email address."), _l("A user with this email already exists."),
    _l("Only a superuser can grant superuser."), _l("You can only give permissions you hold yourself: %(names)s"),
    _l("Choose roles from the list."), _l("Choose a user."),
    _l("See customers and their profiles"), _l("Create and change customers"), _l("Delete customers"),
    _l("Merge duplicate customers and undo merges"), _l("Export a customer's data or the customer list"),
    _l("Erase (anonymise) a customer"), _l("Import customers from files"), _l("See customer timelines"),
    _l("Log calls, notes, meetings and messages"), _l("See installed plugins and their errors"),
    _l("Enable and disable plugins"), _l("Manage users, roles and API tokens"), _l("Read the audit log"),
    _l("Change deployment settings"), _l("Open customers' messages in full (bodies, attachments)"),
    _l("Send messages to customers (email, SMS, ...)"),
    _l("See messaging channels, their errors, and send test messages"),
    _l("See the Evaluation report (each program also needs its own permission)"),
)


class EmailField(fields.String):
    """An email address, returned in its canonical lower-case form."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_email(text)
        except NormalizationError:
            raise ValidationError("Enter a valid email address.") from None


def _without_blank_password(self: Schema, data: Any, **_: Any) -> Any:
    """An empty password field means "no password given" (on edit: unchanged)."""
    if isinstance(data, dict) and data.get("password") == "":
        data = {key: value for key, value in data.items() if key != "password"}
    return data


class UserNewForm(Schema):
    """The form creating a staff user."""

    email = EmailField(required=True, error_messages=REQUIRED, validate=validate.Length(max=254))
    name = CleanString(load_default="", allow_none=True, validate=validate.Length(max=200))
    password = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(
        min=svc.MIN_PASSWORD_LENGTH, max=1000, error="A password needs at least 10 characters."))
    roles = fields.List(fields.Integer(), load_default=list)
    is_superuser = fields.Boolean(load_default=False)

    _blank_password = pre_load(_without_blank_password)


class UserEditForm(Schema):
    """The form changing a staff user; an empty password leaves it unchanged."""

    name = CleanString(load_default="", allow_none=True, validate=validate.Length(max=200))
    password = fields.String(load_default=None, validate=validate.Length(
        min=svc.MIN_PASSWORD_LENGTH, max=1000, error="A password needs at least 10 characters."))
    roles = fields.List(fields.Integer(), load_default=list)
    is_active = fields.Boolean(load_default=False)
    is_superuser = fields.Boolean(load_default=False)

    _blank_password = pre_load(_without_blank_password)


class RoleForm(Schema):
    """The form creating or changing a role."""

    name = CleanString(load_default="", allow_none=True, validate=validate.Length(max=svc.MAX_ROLE_NAME))
    description = CleanString(load_default="", allow_none=True, validate=validate.Length(max=250))
    permissions = fields.List(fields.String(validate=validate.Length(max=120)), load_default=list)


# --------------------------------------------------------------------------- helpers


def _me() -> Actor:
    user = staff_user()
    assert user is not None  # guaranteed by staff_required
    return user


def _profile() -> str:
    return str(current_app.config.get("PAYVAND_PASSWORD_PROFILE", "default"))


def _assignable_roles() -> list[Role]:
    """Every role but the personal ones, by name (one query)."""
    return staff.assignable_roles(current_session())


def _chosen_roles(form: FormResult, roles: Sequence[Role]) -> list[Role]:
    """The roles ticked in `form`; an unknown id becomes an error on the `roles` field."""
    by_id = {role.id: role for role in roles}
    wanted = form.data.get("roles") or []
    if any(role_id not in by_id for role_id in wanted):
        form.errors.setdefault("roles", []).append("Choose roles from the list.")
        return []
    return [by_id[role_id] for role_id in dict.fromkeys(wanted)]


def _rule_error(form: FormResult, exc: svc.RuleError) -> None:
    form.errors.setdefault(exc.field, []).append(_(exc.message, **exc.params))


def _end_sessions(user_id: int) -> int:
    """End every session of a user now, through the app's session store."""
    return current_app.session_interface.store.end_user(user_id)  # type: ignore[attr-defined]


def _last_logins(user_ids: list[int]) -> dict[int, Any]:
    """When each user's newest live session began (their last login, as far as it is known).

    Only the database session store can tell; with Redis the column stays empty.
    """
    if not user_ids or not isinstance(current_app.session_interface.store, DatabaseStore):  # type: ignore[attr-defined]
        return {}
    return staff.last_logins(current_session(), user_ids)


def _role_summary(user: User) -> tuple[list[str], int]:
    """A user's shared role names and how many permissions their personal role grants."""
    names = sorted(r.name for r in user.roles if not svc.is_personal_role(r.name))
    return names, sum(len(r.grants) for r in user.roles if svc.is_personal_role(r.name))


# --------------------------------------------------------------------------- users


@bp.get("/admin/users")
@staff_required(perm.USERS_MANAGE)
def users() -> Any:
    """Staff users by email, searchable by email or name, in keyset pages."""
    q = clean_text(request.args.get("q", "")[:200]) or ""
    after = request.args.get("after", "")[:254]
    rows = staff.find_users(current_session(), q, after, PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_url = url_for(".users", q=q or None, after=rows[-1].email) if more else None
    first_url = url_for(".users", q=q or None) if after else None
    return render_template("admin/users.html", users=rows, q=q, next_url=next_url, first_url=first_url,
                           last_logins=_last_logins([u.id for u in rows]),
                           summaries={u.id: _role_summary(u) for u in rows})


@bp.route("/admin/users/new", methods=["GET", "POST"])
@staff_required(perm.USERS_MANAGE)
def user_new() -> Any:
    """Create a staff user with a password and roles (superuser only by a superuser)."""
    me = _me()
    roles = _assignable_roles()
    form = FormResult.empty({"roles": []})
    if request.method == "POST":
        form = parse_form(UserNewForm(), lists=["roles"], verbatim=["password"])
        chosen = _chosen_roles(form, roles) if form.ok else []
        db = current_session()
        if form.ok and staff.email_taken(db, form.data["email"]):
            form.errors["email"] = ["A user with this email already exists."]
        if form.ok:
            try:
                user = svc.add_user(db, me, form.data["email"], password=form.data["password"],
                                    name=form.data["name"] or "", superuser=form.data["is_superuser"],
                                    roles=chosen, profile=_profile())
            except svc.RuleError as exc:
                _rule_error(form, exc)
            except svc.UserError as exc:
                form.errors["_form"] = [str(exc)]
            else:
                db.commit()
                flash(_("User %(email)s created.", email=user.email), "success")
                return redirect(url_for(".user_edit", user_id=user.id))
        db.rollback()
        return render_template("admin/user_form.html", form=form, user=None, roles=roles, personal=None,
                               token_count=0), 422
    return render_template("admin/user_form.html", form=form, user=None, roles=roles, personal=None, token_count=0)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@staff_required(perm.USERS_MANAGE)
def user_edit(user_id: int) -> Any:
    """Change a user's name, roles, status and password; only a superuser may edit a superuser."""
    me = _me()
    db = current_session()
    user = staff.get_user(db, user_id, with_roles=True)
    if user is None:
        abort(404)
    if user.is_superuser and not me.is_superuser:
        abort(403)
    roles = _assignable_roles()
    personal = next((r for r in user.roles if svc.is_personal_role(r.name)), None)
    token_count = staff.live_token_count(db, user.id)
    form = FormResult.empty({"name": user.name, "is_active": user.is_active, "is_superuser": user.is_superuser,
                             "roles": [r.id for r in user.roles if not svc.is_personal_role(r.name)]})
    if request.method == "POST":
        form = parse_form(UserEditForm(), lists=["roles"], keep_empty=["name"], verbatim=["password"])
        chosen = _chosen_roles(form, roles) if form.ok else []
        if form.ok:
            was_active = user.is_active
            try:
                changed = svc.update_user(db, user, me, name=form.data["name"] or "",
                                          roles=chosen, is_active=form.data["is_active"],
                                          is_superuser=form.data["is_superuser"])
                if form.data.get("password"):
                    svc.set_password(db, user, form.data["password"], me, _profile())
            except svc.RuleError as exc:
                _rule_error(form, exc)
            else:
                db.commit()
                ended = was_active and not user.is_active
                if ended or (form.data.get("password") and user.id != me.user_id):
                    _end_sessions(user.id)
                if ended:
                    flash(_("User %(email)s disabled: their sessions have ended.", email=user.email), "success")
                elif changed or form.data.get("password"):
                    flash(_("User %(email)s saved.", email=user.email), "success")
                else:
                    flash(_("Nothing changed."), "info")
                return redirect(url_for(".user_edit", user_id=user.id))
        db.rollback()
        return render_template("admin/user_form.html", form=form, user=user, roles=roles,
                               personal=personal, token_count=token_count), 422
    return render_template("admin/user_form.html", form=form, user=user, roles=roles, personal=personal,
                           token_count=token_count)


# --------------------------------------------------------------------------- roles


def _permission_groups(granted: Sequence[str]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Recorded permissions grouped by plugin (the core first): (plugin, title, [(name, description)]).

    Permissions the role grants that are no longer recorded come last, under "other", so they
    can be removed.
    """
    installed = current_app.extensions["payvand"].plugins.installed
    rows = staff.recorded_permissions(current_session())
    groups: dict[str, list[tuple[str, str]]] = {}
    for plugin, name, description in rows:
        groups.setdefault(plugin, []).append((name, description))
    known = {row.name for row in rows}
    stray = sorted(p for p in granted if p not in known)
    result = []
    for plugin, items in groups.items():
        meta = installed.get(plugin).meta if installed.get(plugin) is not None else None
        title = _("Core") if plugin == "core" else translate_text(meta.title, plugin) if meta and meta.title else plugin
        result.append((plugin, title, items))
    if stray:
        result.append(("", _("Other (no longer declared)"), [(p, "") for p in stray]))
    return result


@bp.get("/admin/roles")
@staff_required(perm.USERS_MANAGE)
def roles() -> Any:
    """Roles with their permissions and how many users hold them; personal roles apart."""
    db = current_session()
    counts = staff.role_holder_counts(db)
    all_roles = staff.all_roles(db)
    shared = [r for r in all_roles if not svc.is_personal_role(r.name)]
    personal = [r for r in all_roles if svc.is_personal_role(r.name)]
    owners = staff.role_owner_emails(db, [r.id for r in personal])
    return render_template("admin/roles.html", roles=shared, personal=personal, counts=counts, owners=owners)


def _role_form(role: Role | None, form: FormResult, status: int = 200) -> Any:
    granted = form.value("permissions", []) or []
    return render_template("admin/role_form.html", role=role, form=form, granted=set(granted),
                           groups=_permission_groups(role.permissions if role is not None else []),
                           personal=role is not None and svc.is_personal_role(role.name)), status


@bp.route("/admin/roles/new", methods=["GET", "POST"])
@staff_required(perm.USERS_MANAGE)
def role_new() -> Any:
    """Create a role from the declared permissions, grouped by plugin."""
    me = _me()
    if request.method == "POST":
        form = parse_form(RoleForm(), lists=["permissions"])
        if form.ok:
            db = current_session()
            try:
                role = svc.create_role(db, me, form.data["name"] or "", form.data["permissions"],
                                       form.data["description"] or "")
            except svc.RuleError as exc:
                db.rollback()
                _rule_error(form, exc)
            else:
                db.commit()
                flash(_("Role %(name)s created.", name=role.name), "success")
                return redirect(url_for(".roles"))
        return _role_form(None, form, 422)
    return _role_form(None, FormResult.empty({"permissions": []}))


def _load_role(role_id: int) -> Role:
    role = staff.get_role(current_session(), role_id)
    if role is None:
        abort(404)
    return role


@bp.route("/admin/roles/<int:role_id>", methods=["GET", "POST"])
@staff_required(perm.USERS_MANAGE)
def role_edit(role_id: int) -> Any:
    """Change a role's name, description and permissions (a personal role keeps its name)."""
    me = _me()
    role = _load_role(role_id)
    if request.method == "POST":
        form = parse_form(RoleForm(), lists=["permissions"], keep_empty=["description"])
        if form.ok:
            db = current_session()
            try:
                changed = svc.update_role(db, role, me, name=form.data["name"] or "",
                                          description=form.data["description"] or "",
                                          permissions=form.data["permissions"])
            except svc.RuleError as exc:
                db.rollback()
                _rule_error(form, exc)
                role = _load_role(role_id)
            else:
                db.commit()
                flash(_("Role %(name)s saved.", name=role.name) if changed else _("Nothing changed."),
                      "success" if changed else "info")
                return redirect(url_for(".roles"))
        return _role_form(role, form, 422)
    form = FormResult.empty({"name": role.name, "description": role.description, "permissions": role.permissions})
    return _role_form(role, form)


@bp.post("/admin/roles/<int:role_id>/delete")
@staff_required(perm.USERS_MANAGE)
def role_delete(role_id: int) -> Any:
    """Delete a role; the users who held it lose its permissions at once."""
    role = _load_role(role_id)
    name = role.name
    db = current_session()
    holders = svc.delete_role(db, role, _me())
    db.commit()
    flash(_("Role %(name)s deleted; %(count)s users held it.", name=name, count=format_number(holders)), "success")
    return redirect(url_for(".roles"))
