"""Demo organisation: Tỉnh ủy Quảng Trị, two committees, six cells, about sixty members."""

import datetime
import random

from django.contrib.auth.hashers import make_password

from accounts.models import User
from cells.models import CommitteeRole, Membership, OrgUnit

DEMO_PASSWORD = "chibo-demo"

TREE = {
    "name": "Tỉnh ủy Quảng Trị",
    "code": "QT",
    "place": "Quảng Trị",  # the date line of every document (cells.selectors.place_of)
    "children": [
        {
            "name": "Đảng ủy các cơ quan Đảng tỉnh",
            "code": "CQD",
            "place": "",  # the province's: "Quảng Trị"
            "cells": ["Chi bộ Văn phòng Tỉnh ủy", "Chi bộ Ban Tuyên giáo và Dân vận", "Chi bộ Ban Tổ chức"],
        },
        {
            "name": "Đảng ủy xã Triệu Phong",
            "code": "TP",
            "place": "Triệu Phong",
            "cells": ["Chi bộ thôn An Lợi", "Chi bộ thôn Phú Hưng", "Chi bộ Trường THCS Triệu Phong"],
        },
    ],
}

# The personas the README lists: (username, full name, cell index or None, role)
PERSONAS = [
    ("bithu", "Lê Thị Hồng Nhung", 0, Membership.Role.SECRETARY),
    ("dangvien", "Nguyễn Văn Hùng", 0, Membership.Role.MEMBER),
    ("dangvien2", "Trần Thị Thu Hà", 3, Membership.Role.MEMBER),
]

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh", "Xuân"]
MIDDLE_F = ["Thị", "Thị Thanh", "Thị Minh", "Ngọc", "Thị Thu", "Thị Hồng"]
GIVEN_M = [
    "Anh",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Khánh",
    "Long",
    "Lực",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Thắng",
    "Toàn",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
]
GIVEN_F = [
    "An",
    "Châu",
    "Diệp",
    "Giang",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "Ngân",
    "Oanh",
    "Phương",
    "Quỳnh",
    "Thảo",
    "Trang",
    "Tuyết",
    "Vân",
    "Yến",
]


def _name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"


def _user(username: str, full_name: str, password_hash: str, **extra) -> User:
    user, _created = User.objects.get_or_create(
        username=username,
        defaults={"full_name": full_name, "email": f"{username}@chibo.example", "password": password_hash, **extra},
    )
    return user


def _unit(parent: OrgUnit | None, name: str, kind: str, code: str = "", place: str = "") -> OrgUnit:
    qs = OrgUnit.get_root_nodes() if parent is None else parent.get_children()
    unit = qs.filter(name=name).first()
    if unit is None:
        fields = {"name": name, "kind": kind, "code": code, "place": place}
        unit = OrgUnit.objects.add_root(fields) if parent is None else OrgUnit.objects.add_child(parent, fields)
    elif place and not unit.place:  # a demo seeded before places were kept; never over an admin's
        OrgUnit.objects.filter(pk=unit.pk).update(place=place)
        unit.place = place
    return unit


def _join(user: User, cell: OrgUnit, role: str, status: str, started: datetime.date) -> None:
    if not Membership.objects.filter(user=user, ended_on__isnull=True).exists():
        Membership.objects.create(user=user, cell=cell, role=role, status=status, started_on=started)


def seed(stdout) -> None:
    rng = random.Random(2020)  # the same names every run
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: the demo has one password
    province = _unit(None, TREE["name"], OrgUnit.Kind.COMMITTEE, TREE["code"], TREE["place"])
    cells: list[OrgUnit] = []
    for committee in TREE["children"]:
        node = _unit(province, committee["name"], OrgUnit.Kind.COMMITTEE, committee["code"], committee["place"])
        for cell_name in committee["cells"]:
            cells.append(_unit(node, cell_name, OrgUnit.Kind.CELL))

    _user("admin", "Quản trị hệ thống", password_hash, is_staff=True, is_superuser=True)
    canbo = _user("canbo", "Hoàng Minh Tuấn", password_hash)
    if not CommitteeRole.objects.filter(user=canbo, unit=province, ended_on__isnull=True).exists():
        CommitteeRole.objects.create(
            user=canbo, unit=province, title="Cán bộ Ban Tuyên giáo và Dân vận", started_on=datetime.date(2020, 1, 1)
        )
    for username, full_name, cell_index, role in PERSONAS:
        user = _user(username, full_name, password_hash)
        _join(user, cells[cell_index], role, Membership.Status.OFFICIAL, datetime.date(2015, 3, 1))

    taken = set(User.objects.values_list("username", flat=True))
    for index, cell in enumerate(cells):
        roles = [Membership.Role.SECRETARY, Membership.Role.DEPUTY] + [Membership.Role.MEMBER] * 8
        if index == 0:
            roles = [Membership.Role.DEPUTY] + [Membership.Role.MEMBER] * 7  # bithu and dangvien are here
        if index == 3:
            roles = roles[:-1]  # dangvien2 is here
        for position, role in enumerate(roles):
            full_name = _name(rng)
            status = Membership.Status.PROBATIONARY if position == len(roles) - 1 else Membership.Status.OFFICIAL
            username = f"demo{index + 1}{position + 1:02d}"
            if username in taken:
                continue
            user = _user(username, full_name, password_hash)
            taken.add(username)
            started = datetime.date(2000 + rng.randrange(0, 24), rng.randrange(1, 13), 1)
            _join(user, cell, role, status, started)
    active = Membership.objects.filter(ended_on__isnull=True).count()
    stdout.write(f"Organisation: {OrgUnit.objects.count()} units, {active} active members.")
