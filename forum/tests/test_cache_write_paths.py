"""Every write path of every cached model shows on the next cached read (core.cache.track).

For each model whose rows feed a cached value, each way of writing it (save, delete,
queryset update, bulk_create, bulk_update, queryset delete, and the admin where it edits
the model) is followed by the cached read that shows it, which must equal the same read
built from the database. The forum is the app on top of the dependency order, so these
tests can use the cached reads of accounts, cells, notifications and the forum together.
"""

import datetime
import itertools
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import ModelBackend
from accounts.models import User
from cells import services as cells_services
from cells.models import CommitteeRole, Membership, OrgUnit
from core import cache as core_cache
from forum import selectors
from forum.models import Absence, Attendance, Ballot, Motion, Post, Reaction, ReadState, Theme, Topic
from forum.permissions import forum_active_member_ids, roles_for_request
from notifications.models import Notification
from notifications.selectors import unread_count

DAY = datetime.date(2021, 5, 1)
FRESH_ID = 900_000  # an id no row has yet: its "nothing there" is cached before the create


def fresh(read):
    """The cached read, and the same read with nothing cached."""
    cached = read()
    cache.clear()
    core_cache.local_memo.clear()
    return cached, read()


def check(read, write):
    before = read()
    write()
    cached, truth = fresh(read)
    assert cached == truth, "the cached read still shows the old data"
    assert truth != before, "this write path changed nothing the read shows (a broken test)"


# --- Reads ----------------------------------------------------------------------------------


def user_row(pk):
    user = ModelBackend().get_user(pk)
    return user and (user.full_name, user.is_active, user.email)


def roles(user):
    r = roles_for_request(SimpleNamespace(user=user))
    return (r.membership and (r.membership.cell_id, r.membership.role, r.membership.cell.name), r.officer_paths)


def posts(topic):
    ids = selectors._topic_ids(topic.pk)
    pieces = selectors._pieces(topic, list(ids["all"]), 1)
    return ids["public"], tuple((p.id, p.head, p.body, p.agreers) for p in pieces)


def topic_row(pk):
    topic = selectors.topic_by_id(pk)
    return topic and (topic.title, topic.cell.name, topic.cell.path, topic.theme and topic.theme.title)


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def world(personas, org, session):
    member = personas["member_a"]
    reply = Post.objects.create(topic=session, author=member, body_source="Một", body_html="<p>Một</p>")
    return SimpleNamespace(**personas, **org, session=session, reply=reply, theme=session.theme)


def new_user(username="new_user", **extra):
    return User(username=username, full_name=username, email=f"{username}@example.org", **extra)


# --- accounts.User --------------------------------------------------------------------------

USER_WRITES = {
    "save": lambda w: (setattr(w.member_a, "full_name", "Tên Mới"), w.member_a.save()),
    "save (update_fields)": lambda w: (
        setattr(w.member_a, "is_active", False),
        w.member_a.save(update_fields=["is_active"]),
    ),
    "update": lambda w: User.objects.filter(pk=w.member_a.pk).update(is_active=False),
    "bulk_update": lambda w: (
        setattr(w.member_a, "email", "moi@example.org"),
        User.objects.bulk_update([w.member_a], ["email"]),
    ),
    "delete": lambda w: w.outsider.delete(),
    "queryset delete": lambda w: User.objects.filter(pk=w.outsider.pk).delete(),
    "bulk_create": lambda w: User.objects.bulk_create([new_user(id=FRESH_ID)]),
}


@pytest.mark.parametrize("path", USER_WRITES)
def test_user_writes_show_on_the_next_read(db, world, path):
    def read():
        return user_row(world.member_a.pk), user_row(world.outsider.pk), user_row(FRESH_ID)

    check(read, lambda: USER_WRITES[path](world))


@pytest.mark.parametrize("path", ["update", "bulk_update"])
def test_a_renamed_user_shows_next_to_their_posts(db, world, path):
    if path == "update":
        write = lambda: User.objects.filter(pk=world.member_a.pk).update(full_name="Tên Mới")  # noqa: E731
    else:
        world.member_a.full_name = "Tên Mới"
        write = lambda: User.objects.bulk_update([world.member_a], ["full_name"])  # noqa: E731
    check(lambda: posts(world.session), write)


# --- cells: Membership, CommitteeRole, OrgUnit ----------------------------------------------


def _membership(w):
    return Membership.objects.get(user=w.member_a, ended_on__isnull=True)


MEMBERSHIP_WRITES = {
    "save": lambda w: (m := _membership(w), setattr(m, "ended_on", DAY), m.save()),
    "update": lambda w: Membership.objects.filter(user=w.member_a).update(ended_on=DAY),
    "update moving cell": lambda w: Membership.objects.filter(user=w.member_a).update(cell=w.cell_b),
    "bulk_update": lambda w: (
        m := _membership(w),
        setattr(m, "role", Membership.Role.DEPUTY),
        Membership.objects.bulk_update([m], ["role"]),
    ),
    "delete": lambda w: _membership(w).delete(),
    "queryset delete": lambda w: Membership.objects.filter(user=w.member_a).delete(),
    "bulk_create": lambda w: Membership.objects.bulk_create(
        [Membership(user=w.outsider, cell=w.cell_a, started_on=DAY)]
    ),
}


@pytest.mark.parametrize("path", MEMBERSHIP_WRITES)
def test_membership_writes_show_on_the_next_read(db, world, path):
    def read():
        return (
            forum_active_member_ids(world.cell_a.pk),
            forum_active_member_ids(world.cell_b.pk),
            roles(world.member_a),
            roles(world.outsider),
        )

    check(read, lambda: MEMBERSHIP_WRITES[path](world))


def _role(w):
    return CommitteeRole.objects.get(user=w.officer)


COMMITTEE_ROLE_WRITES = {
    "save": lambda w: (r := _role(w), setattr(r, "ended_on", DAY), r.save()),
    "update": lambda w: CommitteeRole.objects.filter(user=w.officer).update(unit=w.other_committee),
    "bulk_update": lambda w: (
        r := _role(w),
        setattr(r, "ended_on", DAY),
        CommitteeRole.objects.bulk_update([r], ["ended_on"]),
    ),
    "delete": lambda w: _role(w).delete(),
    "queryset delete": lambda w: CommitteeRole.objects.filter(user=w.officer).delete(),
    "bulk_create": lambda w: CommitteeRole.objects.bulk_create(
        [CommitteeRole(user=w.outsider, unit=w.committee, started_on=DAY)]
    ),
}


@pytest.mark.parametrize("path", COMMITTEE_ROLE_WRITES)
def test_committee_role_writes_show_on_the_next_read(db, world, path):
    check(lambda: (roles(world.officer), roles(world.outsider)), lambda: COMMITTEE_ROLE_WRITES[path](world))


def test_the_admin_ending_a_committee_role_shows_on_the_next_read(db, world, client):
    admin = User.objects.create_superuser("root", "root@example.org", "pw-root", full_name="Quản trị")
    client.force_login(admin)
    role = _role(world)

    def write():
        response = client.post(
            f"/admin/cells/committeerole/{role.pk}/change/",
            {
                "user": world.officer.pk,
                "unit": world.committee.pk,
                "title": "",
                "started_on": "01/01/2020",
                "ended_on": "01/05/2021",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]

    check(lambda: roles(world.officer), write)


ORG_UNIT_WRITES = {
    "save": lambda w: (setattr(w.cell_a, "name", "Chi bộ Mới"), w.cell_a.save()),
    "update": lambda w: OrgUnit.objects.filter(pk=w.cell_a.pk).update(name="Chi bộ Mới"),
    "bulk_update": lambda w: (
        setattr(w.cell_a, "name", "Chi bộ Mới"),
        OrgUnit.objects.bulk_update([w.cell_a], ["name"]),
    ),
    # Every move goes through cells.services.unit_move (treebeard's move underneath).
    "move (treebeard)": lambda w: cells_services.unit_move(actor=None, unit=w.cell_a, parent=w.other_committee),
}


@pytest.mark.parametrize("path", ORG_UNIT_WRITES)
def test_unit_writes_show_on_the_next_read(db, world, path):
    check(lambda: (topic_row(world.session.pk), roles(world.member_a)), lambda: ORG_UNIT_WRITES[path](world))


@pytest.mark.parametrize("path", ["delete", "queryset delete", "add (treebeard)"])
def test_unit_creations_and_deletions_replace_the_org_generation(db, world, path):
    # No cached value shows a unit nobody belongs to; what must hold is that `org` moves.
    before = core_cache.generations("org")
    if path == "delete":
        OrgUnit.objects.get(pk=world.cell_c.pk).delete()
    elif path == "queryset delete":
        OrgUnit.objects.filter(pk=world.cell_c.pk).delete()
    else:
        OrgUnit.objects.add_child(world.committee, {"name": "Chi bộ D", "kind": OrgUnit.Kind.CELL})
    assert core_cache.generations("org") != before


# --- forum: Theme, Topic, Post, Reaction, ReadState ------------------------------------------

THEME_WRITES = {
    "save": lambda w: (setattr(w.theme, "title", "Chủ đề mới"), w.theme.save()),
    "update": lambda w: Theme.objects.filter(pk=w.theme.pk).update(title="Chủ đề mới"),
    "bulk_update": lambda w: (setattr(w.theme, "title", "Chủ đề mới"), Theme.objects.bulk_update([w.theme], ["title"])),
}


@pytest.mark.parametrize("path", THEME_WRITES)
def test_theme_writes_show_on_the_next_read(db, world, path):
    check(lambda: topic_row(world.session.pk), lambda: THEME_WRITES[path](world))


def _empty_topic(w, **extra):
    return Topic(cell=w.cell_a, title="Trống", author=w.member_a, **extra)


TOPIC_WRITES = {
    "save": lambda w: (setattr(w.session, "title", "Tiêu đề mới"), w.session.save()),
    "update": lambda w: Topic.objects.filter(pk=w.session.pk).update(title="Tiêu đề mới"),
    "bulk_update": lambda w: (
        setattr(w.session, "title", "Tiêu đề mới"),
        Topic.objects.bulk_update([w.session], ["title"]),
    ),
    "delete": lambda w: Topic.objects.get(pk=FRESH_ID).delete(),
    "queryset delete": lambda w: Topic.objects.filter(pk=FRESH_ID).delete(),
    "bulk_create": lambda w: Topic.objects.bulk_create([_empty_topic(w, id=FRESH_ID + 1)]),
}


@pytest.mark.parametrize("path", TOPIC_WRITES)
def test_topic_writes_show_on_the_next_read(db, world, path):
    _empty_topic(world, id=FRESH_ID).save()
    check(
        lambda: (topic_row(world.session.pk), topic_row(FRESH_ID), topic_row(FRESH_ID + 1)),
        lambda: TOPIC_WRITES[path](world),
    )


_fresh_seq = itertools.count(1000)  # a change number no other post of the topic has (forum_one_post_per_change)


def _post(w, **extra):
    extra.setdefault("seq", next(_fresh_seq))
    return Post(topic=w.session, author=w.member_a, body_source="Hai", body_html="<p>Hai</p>", **extra)


POST_WRITES = {
    "save": lambda w: _post(w).save(),
    "save (hide)": lambda w: (setattr(w.reply, "hidden_at", timezone.now()), w.reply.save()),
    "update": lambda w: Post.objects.filter(pk=w.reply.pk).update(body_html="<p>Sửa</p>"),
    "bulk_update": lambda w: (
        setattr(w.reply, "hidden_at", timezone.now()),
        Post.objects.bulk_update([w.reply], ["hidden_at"]),
    ),
    "delete": lambda w: w.reply.delete(),
    "queryset delete": lambda w: Post.objects.filter(pk=w.reply.pk).delete(),
    "bulk_create": lambda w: Post.objects.bulk_create([_post(w)]),
}


@pytest.mark.parametrize("path", POST_WRITES)
def test_post_writes_show_on_the_next_read(db, world, path):
    check(lambda: posts(world.session), lambda: POST_WRITES[path](world))


def _agree(w, user):
    return Reaction(post=w.reply, user=user, kind=Reaction.Kind.AGREE)


REACTION_WRITES = {
    "save": lambda w: _agree(w, w.secretary_a).save(),
    "update": lambda w: Reaction.objects.filter(post=w.reply).update(user=w.secretary_a),
    "bulk_update": lambda w: (
        r := Reaction.objects.get(post=w.reply),
        setattr(r, "user", w.secretary_a),
        Reaction.objects.bulk_update([r], ["user"]),
    ),
    "delete": lambda w: Reaction.objects.get(post=w.reply).delete(),
    "queryset delete": lambda w: Reaction.objects.filter(post=w.reply).delete(),
    "bulk_create": lambda w: Reaction.objects.bulk_create([_agree(w, w.secretary_a)]),
}


@pytest.mark.parametrize("path", REACTION_WRITES)
def test_reaction_writes_show_on_the_next_read(db, world, path):
    _agree(world, world.member_a).save()
    check(lambda: posts(world.session), lambda: REACTION_WRITES[path](world))


READ_STATE_WRITES = {
    "save": lambda w: ReadState(user=w.secretary_a, topic=w.session, last_read_post_id=w.reply.pk).save(),
    "update": lambda w: ReadState.objects.filter(user=w.member_a).update(last_read_post_id=w.reply.pk),
    "bulk_update": lambda w: (
        r := ReadState.objects.get(user=w.member_a),
        setattr(r, "last_read_post_id", w.reply.pk),
        ReadState.objects.bulk_update([r], ["last_read_post_id"]),
    ),
    "delete": lambda w: ReadState.objects.get(user=w.member_a).delete(),
    "queryset delete": lambda w: ReadState.objects.filter(user=w.member_a).delete(),
    "bulk_create": lambda w: ReadState.objects.bulk_create(
        [ReadState(user=w.secretary_a, topic=w.session, last_read_post_id=w.reply.pk)]
    ),
}


@pytest.mark.parametrize("path", READ_STATE_WRITES)
def test_read_state_writes_show_on_the_next_read(db, world, path):
    ReadState.objects.create(user=world.member_a, topic=world.session, last_read_post_id=1)

    def read():
        return (
            selectors.read_mark(world.member_a.pk, world.session.pk),
            selectors.read_mark(world.secretary_a.pk, world.session.pk),
        )

    check(read, lambda: READ_STATE_WRITES[path](world))


# --- notifications.Notification -------------------------------------------------------------


def _note(w):
    return Notification(user=w.member_a, kind="test", message="Tin")


NOTIFICATION_WRITES = {
    "save": lambda w: _note(w).save(),
    "update": lambda w: Notification.objects.filter(user=w.member_a).update(read_at=timezone.now()),
    "bulk_update": lambda w: (
        n := Notification.objects.filter(user=w.member_a).latest("pk"),
        setattr(n, "read_at", timezone.now()),
        Notification.objects.bulk_update([n], ["read_at"]),
    ),
    "delete": lambda w: Notification.objects.filter(user=w.member_a).latest("pk").delete(),
    "queryset delete": lambda w: Notification.objects.filter(user=w.member_a).delete(),
    "bulk_create": lambda w: Notification.objects.bulk_create([_note(w), _note(w)]),
}


@pytest.mark.parametrize("path", NOTIFICATION_WRITES)
def test_notification_writes_show_on_the_next_read(db, world, path):
    _note(world).save()
    check(lambda: unread_count(world.member_a.pk), lambda: NOTIFICATION_WRITES[path](world))


def test_the_admins_delete_action_shows_on_the_next_read(db, world, client):
    admin = User.objects.create_superuser("root", "root@example.org", "pw-root", full_name="Quản trị")
    client.force_login(admin)
    note = _note(world)
    note.save()

    def write():
        response = client.post(
            "/admin/notifications/notification/",
            {"action": "delete_selected", "_selected_action": [note.pk], "post": "yes"},
        )
        assert response.status_code == 302

    check(lambda: unread_count(world.member_a.pk), write)


# --- Meetings: notices of absence, attendance, motions, ballots (the minutes' rows) ----------


def meeting_rows(topic):
    """A read cached under the topic's generation, as the minutes are (forum.minutes)."""

    def load():
        return (
            tuple(Absence.objects.filter(topic=topic).values_list("user_id", "reason").order_by("pk")),
            tuple(Attendance.objects.filter(topic=topic).values_list("user_id", "status").order_by("pk")),
            tuple(Motion.objects.filter(topic=topic).values_list("text", "counts").order_by("pk")),
            tuple(Ballot.objects.filter(motion__topic=topic).values_list("user_id", "choice").order_by("pk")),
        )

    return core_cache.versioned(f"test:meeting:{topic.pk}", (f"topic:{topic.pk}",), load, 600)


def _motion(w, text="Tán thành"):
    return Motion(topic=w.session, text=text, options=["A", "B"], counts=[0, 0], opened_by=w.secretary_a)


def _writes(model, make, field, value, lookup):
    def bulk_update(w):
        row = model.objects.get(**lookup(w))
        setattr(row, field, value)
        model.objects.bulk_update([row], [field])

    def save_change(w):
        row = model.objects.get(**lookup(w))
        setattr(row, field, value)
        row.save()

    return {
        "save (new)": lambda w: make(w, other=True).save(),
        "save (change)": save_change,
        "update": lambda w: model.objects.filter(**lookup(w)).update(**{field: value}),
        "bulk_update": bulk_update,
        "delete": lambda w: model.objects.get(**lookup(w)).delete(),
        "queryset delete": lambda w: model.objects.filter(**lookup(w)).delete(),
        "bulk_create": lambda w: model.objects.bulk_create([make(w, other=True)]),
    }


def _absence(w, other=False):
    return Absence(topic=w.session, user=w.secretary_a if other else w.member_a, reason="Ốm")


def _attendance(w, other=False):
    user = w.secretary_a if other else w.member_a
    return Attendance(topic=w.session, user=user, status="present", updated_by=w.secretary_a)


def _motion_row(w, other=False):
    return _motion(w, "Khác" if other else "Tán thành")


def _ballot(w, other=False):
    return Ballot(motion=w.motion, user=w.secretary_a if other else w.member_a, choice=0)


MEETING_WRITES = {
    "Absence": (_absence, _writes(Absence, _absence, "reason", "Đi công tác", lambda w: {"user": w.member_a})),
    "Attendance": (
        _attendance,
        _writes(Attendance, _attendance, "status", "absent", lambda w: {"user": w.member_a}),
    ),
    "Motion": (_motion_row, _writes(Motion, _motion_row, "counts", [1, 0], lambda w: {"text": "Tán thành"})),
    "Ballot": (_ballot, _writes(Ballot, _ballot, "choice", 1, lambda w: {"user": w.member_a})),
}


@pytest.mark.parametrize(
    ("model", "path"), [(model, path) for model, (_make, writes) in MEETING_WRITES.items() for path in writes]
)
def test_meeting_writes_show_on_the_next_read(db, world, model, path):
    make, writes = MEETING_WRITES[model]
    world.motion = _motion(world, "Bầu")
    world.motion.save()
    make(world).save()
    check(lambda: meeting_rows(world.session), lambda: writes[path](world))


# --- Nothing cached comes from a model that is not tracked ------------------------------------


def test_every_table_a_cached_read_queries_belongs_to_a_tracked_model(db, world):
    ReadState.objects.create(user=world.member_a, topic=world.session, last_read_post_id=1)
    _agree(world, world.member_a).save()
    cache.clear()
    core_cache.local_memo.clear()
    with CaptureQueriesContext(connection) as queries:
        user_row(world.member_a.pk)
        roles(world.member_a)
        roles(world.officer)
        forum_active_member_ids(world.cell_a.pk)
        posts(world.session)
        topic_row(world.session.pk)
        selectors.read_mark(world.member_a.pk, world.session.pk)
        unread_count(world.member_a.pk)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    tables = set(re.findall(r'"([a-z_]+)"', sql)) | set(re.findall(r"\b(?:FROM|JOIN) ([a-z_]+)", sql))
    models = {model._meta.db_table: model for model in apps.get_models()}
    read_from = {models[name] for name in tables if name in models}
    assert read_from, sql
    untracked = {model._meta.label for model in read_from} - {m._meta.label for m in core_cache.tracked_models()}
    assert not untracked, f"cached reads depend on models whose writes do not bump: {untracked}"


def test_every_tracked_model_has_a_write_path_test():
    tested = {
        "User",
        "Membership",
        "CommitteeRole",
        "OrgUnit",
        "Theme",
        "Topic",
        "Post",
        "Reaction",
        "ReadState",
        "Notification",
        "Absence",
        "Attendance",
        "Motion",
        "Ballot",
    }
    assert {model.__name__ for model in core_cache.tracked_models()} == tested
