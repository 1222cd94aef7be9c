"""Grow the demo province for the reports' benchmark: N cells of M members under
Tỉnh ủy Quảng Trị, spread over district committees, with realistic shares of study progress,
pledges at each status, and themed sessions held with participation.

Runs after `seed_demo`. Rows are written with bulk_create (no notifications, no e-mails, no
audit rows: this is load, not history), in one transaction; the cache generations are bumped
at the end so running pages see the new units. Not idempotent: each run adds N more cells.
"""

import datetime
import random
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.collation import sort_key
from accounts.models import User
from cells.models import Membership, OrgUnit
from core.cache import bump
from courses.models import Lesson, Module, ModuleProgress
from forum.models import Post, Theme, Topic
from pledges.models import Pledge, PledgeTemplate, Rating
from reports.services import recount_all

BATCH = 5000
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Hữu", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hoa", "Lan", "Long", "Mai", "Nam", "Sơn", "Tâm", "Vinh"]
S = Pledge.Status


class Command(BaseCommand):
    help = "Add N cells of M members under the demo province, with progress, pledges and sessions (benchmarks)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--cells", type=int, required=True)
        parser.add_argument("--members-per-cell", type=int, default=20)
        parser.add_argument("--committees", type=int, default=0, help="district committees (default N/100, 10 or more)")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options) -> None:
        n_cells, per_cell = options["cells"], options["members_per_cell"]
        if n_cells < 1 or per_cell < 1:
            raise CommandError("--cells and --members-per-cell must be at least 1.")
        province = OrgUnit.objects.filter(code="QT", depth=1).first()
        if province is None:
            raise CommandError("Run seed_demo first: there is no Tỉnh ủy Quảng Trị.")
        rng = random.Random(options["seed"])
        started = time.monotonic()
        with transaction.atomic():
            run = OrgUnit.objects.filter(depth=2, path__startswith=province.path).count()
            committees = self._committees(province, options["committees"] or max(10, n_cells // 100), run)
            cells = self._cells(committees, n_cells)
            users = self._members(cells, per_cell, run)
            self._study(self._module(province), users, rng)
            self._pledges(users, rng)
            self._sessions(cells, users, rng)
            self._meetings(cells, users, rng)
            counted = recount_all()  # the counters the committee reports read (cells.tally)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as a live database has them
        bump("org", "people")
        self.stdout.write(
            f"seed_scale: {len(committees)} committees, {len(cells)} cells, {len(users)} members, "
            f"{counted} counter rows in {time.monotonic() - started:.1f} s."
        )

    def _committees(self, province: OrgUnit, count: int, run: int) -> list[OrgUnit]:
        step = province.numchild
        made = []
        for i in range(count):
            step += 1
            made.append(
                OrgUnit(
                    name=f"Đảng ủy khu vực {run + 1}-{i + 1:03d}",
                    kind=OrgUnit.Kind.COMMITTEE,
                    path=OrgUnit._get_path(province.path, 2, step),
                    depth=2,
                    numchild=0,
                )
            )
        OrgUnit.objects.bulk_create(made, batch_size=BATCH)
        OrgUnit.objects.filter(pk=province.pk).update(numchild=step)
        return list(OrgUnit.objects.filter(path__in=[c.path for c in made]).order_by("path"))

    def _cells(self, committees: list[OrgUnit], count: int) -> list[OrgUnit]:
        made = []
        per = {c.pk: 0 for c in committees}
        for i in range(count):
            parent = committees[i % len(committees)]
            per[parent.pk] += 1
            made.append(
                OrgUnit(
                    name=f"Chi bộ {parent.name[-7:]}-{per[parent.pk]:04d}",
                    kind=OrgUnit.Kind.CELL,
                    path=OrgUnit._get_path(parent.path, 3, per[parent.pk]),
                    depth=3,
                    numchild=0,
                )
            )
        OrgUnit.objects.bulk_create(made, batch_size=BATCH)
        for parent in committees:
            OrgUnit.objects.filter(pk=parent.pk).update(numchild=per[parent.pk])
        return list(OrgUnit.objects.filter(path__in=[c.path for c in made]).order_by("path"))

    def _members(self, cells: list[OrgUnit], per_cell: int, run: int) -> list[tuple[int, OrgUnit, int]]:
        """(user id, cell, index in cell) for every new member; index 0 is the secretary."""
        password = make_password(None)  # unusable: these accounts never log in
        prefix = f"scale{run}-{OrgUnit.objects.count()}-"
        new_users = []
        for c in range(len(cells)):
            for i in range(per_cell):
                n = c * per_cell + i
                name = f"{FAMILY[n % 12]} {MIDDLE[(n // 12) % 7]} {GIVEN[(n // 84) % 14]}"
                new_users.append(
                    User(username=f"{prefix}{c}-{i}", full_name=name, sort_name=sort_key(name), password=password)
                )
        User.objects.bulk_create(new_users, batch_size=BATCH)
        ids = dict(User.objects.filter(username__startswith=prefix).values_list("username", "id"))
        out, memberships = [], []
        today = timezone.localdate()
        for c, cell in enumerate(cells):
            for i in range(per_cell):
                uid = ids[f"{prefix}{c}-{i}"]
                out.append((uid, cell, i))
                role = Membership.Role.SECRETARY if i == 0 else Membership.Role.MEMBER
                memberships.append(Membership(user_id=uid, cell=cell, role=role, started_on=today))
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        return out

    def _module(self, province: OrgUnit) -> Module:
        """A province-wide study module of 2020 (the demo's reaches one bloc only), made once."""
        title = "Học tập chuyên đề toàn tỉnh năm 2020"
        module = Module.objects.filter(audience=province, year=2020, title=title).first()
        if module is None:
            module = Module.objects.create(
                year=2020,
                directive="Chỉ thị 05-CT/TW",
                title=title,
                audience=province,
                publish_from=timezone.now() - datetime.timedelta(days=1),
                due_on=datetime.date(2020, 12, 31),
            )
            Lesson.objects.bulk_create(
                Lesson(module=module, position=n, title=f"Bài {n}", body="Nội dung.", body_html="<p>Nội dung.</p>")
                for n in range(1, 5)
            )
        return module

    def _study(self, module: Module, users, rng: random.Random) -> None:
        now = timezone.now()
        rows = []
        if module:
            lessons = module.lessons.count()
            for uid, _cell, _i in users:
                r = rng.random()
                if r < 0.25:
                    continue  # not started
                done = r >= 0.6
                rows.append(
                    ModuleProgress(
                        user_id=uid,
                        module=module,
                        lessons_read=lessons if done else rng.randint(1, max(1, lessons)),
                        attempts=1 if done else 0,
                        best_score=rng.randint(80, 100) if done else None,
                        passed_at=now if done else None,
                        completed_at=now if done else None,
                    )
                )
        ModuleProgress.objects.bulk_create(rows, batch_size=BATCH)

    def _pledges(self, users, rng: random.Random) -> None:
        template = PledgeTemplate.objects.filter(year=2020, unit__depth=1).first()
        if template is None:
            return
        now = timezone.now()
        shares = [(None, 0.1), (S.DRAFT, 0.1), (S.SUBMITTED, 0.15), (S.RETURNED, 0.05), (S.APPROVED, 0.3)]
        shares.append((S.RATED, 0.3))
        rows = []
        for uid, cell, _i in users:
            r, status = rng.random(), None
            for value, share in shares:
                r -= share
                if r < 0:
                    status = value
                    break
            if status is None:
                continue
            handed_in = status not in (S.DRAFT,)
            rows.append(
                Pledge(
                    template=template,
                    member_id=uid,
                    cell=cell,
                    year=2020,
                    status=status,
                    submitted_at=now if handed_in else None,
                    approved_at=now if status in (S.APPROVED, S.RATED) else None,
                    rated_at=now if status == S.RATED else None,
                    rating=rng.choice(Rating.values) if status == S.RATED else "",
                )
            )
        Pledge.objects.bulk_create(rows, batch_size=BATCH)

    def _meetings(self, cells, users, rng: random.Random) -> None:
        """Monthly meetings of the themes' year, most of them held (concluded)."""
        year = Theme.objects.filter(committee__depth=1).order_by("-year").values_list("year", flat=True).first() or 2020
        first = {}
        for uid, cell, _i in users:
            first.setdefault(cell.pk, uid)
        topics = []
        for cell in cells:
            for month in range(1, rng.randint(0, 12) + 1):
                at = timezone.make_aware(datetime.datetime(year, month, 5, 19, 30))
                held = rng.random() < 0.9
                topics.append(
                    Topic(
                        cell=cell,
                        kind=Topic.Kind.MEETING,
                        title=f"Sinh hoạt chi bộ tháng {month}/{year}",
                        author_id=first[cell.pk],
                        meeting_at=at,
                        state=Topic.State.CONCLUDED if held else Topic.State.OPEN,
                        concluded_at=at if held else None,
                        last_post_at=at,
                    )
                )
        Topic.objects.bulk_create(topics, batch_size=BATCH)

    def _sessions(self, cells, users, rng: random.Random) -> None:
        themes = list(Theme.objects.filter(year=2020, committee__depth=1))
        by_cell: dict[int, list[int]] = {}
        for uid, cell, _i in users:
            by_cell.setdefault(cell.pk, []).append(uid)
        now = timezone.now()
        topics = []
        for cell in cells:
            for theme in themes:
                r = rng.random()
                if r < 0.3:
                    continue  # not opened yet
                concluded = r >= 0.5
                topics.append(
                    Topic(
                        cell=cell,
                        kind=Topic.Kind.SESSION,
                        theme=theme,
                        title=theme.title,
                        author_id=by_cell[cell.pk][0],
                        state=Topic.State.CONCLUDED if concluded else Topic.State.OPEN,
                        concluded_at=now if concluded else None,
                        last_post_at=now,
                    )
                )
        Topic.objects.bulk_create(topics, batch_size=BATCH)
        made = Topic.objects.filter(cell__in=cells, kind=Topic.Kind.SESSION).values_list("id", "cell_id")
        posts = []
        heads = []  # each topic's change number is its number of posts (forum.services._next_seq)
        for topic_id, cell_id in made:
            seq = 0
            for uid in by_cell[cell_id]:
                if rng.random() < 0.6:
                    seq += 1
                    posts.append(
                        Post(
                            topic_id=topic_id,
                            author_id=uid,
                            body_source="Ý kiến.",
                            body_html="<p>Ý kiến.</p>",
                            seq=seq,
                        )
                    )
            heads.append(Topic(pk=topic_id, seq=seq))
        Post.objects.bulk_create(posts, batch_size=BATCH)
        Topic.objects.bulk_update(heads, ["seq"], batch_size=BATCH)
