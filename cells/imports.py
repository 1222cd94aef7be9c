"""Reading and checking member lists: a CSV upload, or one row typed into the add form.

Excel saves CSV as UTF-8 with a byte-order mark, and in Vietnamese locales separates
fields with semicolons; both work. Headers may be Vietnamese or English, with or without
diacritics. Every error names its line and says what is wrong, in the user's language.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import clean_full_name
from cells.models import Membership

MAX_ROWS = 1000
MAX_BYTES = 1024 * 1024
EMAIL_MAX = User._meta.get_field("email").max_length


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics: "Bí thư" -> "bi thu"."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"[\s_]+", " ", text)


HEADERS = {
    "full_name": {"ho ten", "ho va ten", "ten", "full name", "name", "fullname"},
    # Many lists split the name as "Họ và tên đệm" + "Tên"; the two are joined.
    "family_name": {"ho", "ho dem", "ho va ten dem", "ho va dem", "ho lot", "ho va ten lot"},
    "username": {"ten dang nhap", "username", "user name", "tai khoan"},
    "email": {"email", "e-mail", "thu dien tu"},
    "phone": {"dien thoai", "so dien thoai", "sdt", "phone", "phone number"},
    "role": {"vai tro", "chuc vu", "role"},
    "status": {"trang thai", "loai dang vien", "status"},
}
ROLES = {
    "": Membership.Role.MEMBER,
    "dang vien": Membership.Role.MEMBER,
    "member": Membership.Role.MEMBER,
    "pho bi thu": Membership.Role.DEPUTY,
    "deputy": Membership.Role.DEPUTY,
    "deputy secretary": Membership.Role.DEPUTY,
    "bi thu": Membership.Role.SECRETARY,
    "secretary": Membership.Role.SECRETARY,
}
STATUSES = {
    "": Membership.Status.OFFICIAL,
    "chinh thuc": Membership.Status.OFFICIAL,
    "official": Membership.Status.OFFICIAL,
    "du bi": Membership.Status.PROBATIONARY,
    "probationary": Membership.Status.PROBATIONARY,
}
# ASCII only, as the error message says: accented usernames are hard to type on a phone.
USERNAME_RE = re.compile(r"^[\w.@+-]+\Z", re.ASCII)


@dataclass
class MemberRow:
    line: int
    full_name: str
    username: str
    email: str
    phone: str = ""
    role: str = Membership.Role.MEMBER
    status: str = Membership.Status.OFFICIAL
    errors: list[str] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return Membership.Role(self.role).label

    @property
    def status_label(self) -> str:
        return Membership.Status(self.status).label


@dataclass
class ImportResult:
    rows: list[MemberRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # errors of the file as a whole

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows) and not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(len(row.errors) for row in self.rows)


def suggest_username(full_name: str, taken: set[str]) -> str:
    """Vietnamese convention: given name plus initials of the rest, "Nguyễn Văn An" -> "annv"."""
    parts = fold(full_name).replace("-", " ").split()
    base = re.sub(r"[^a-z0-9]", "", (parts[-1] + "".join(p[0] for p in parts[:-1])) if parts else "") or "user"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def decode(data: bytes) -> str:
    # NUL never occurs in a text CSV (UTF-16 "Unicode Text" is full of them), and PostgreSQL
    # refuses to store it: refuse the file here rather than fail at confirmation.
    if b"\x00" in data:
        raise ValidationError(_("The file is not a text CSV file. Save it from Excel as “CSV UTF-8”."))
    for encoding in ("utf-8-sig", "cp1258", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file is not a text CSV file. Save it from Excel as “CSV UTF-8”."))


def parse_members_csv(data: bytes, unit=None) -> ImportResult:
    """Read and check a member list; with `unit` (the target cell), check its secretary too."""
    result = ImportResult()
    if len(data) > MAX_BYTES:
        result.errors.append(_("The file is larger than 1 MB."))
        return result
    try:
        text = decode(data)
    except ValidationError as exc:
        result.errors.extend(exc.messages)
        return result
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        result.errors.append(_("The file is empty."))
        return result
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    # newline="" as the csv docs ask: a lone "\r" ends a line too (Excel's "CSV (Macintosh)").
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _read_rows(result, reader, unit)
    except csv.Error:
        # A garbled file (a field over csv's size limit, say) is the user's error, not a 500.
        result.rows = []
        result.errors.append(_("The file is not a text CSV file. Save it from Excel as “CSV UTF-8”."))
        return result


def _read_rows(result: ImportResult, reader, unit) -> ImportResult:
    header = next(reader)
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = fold(name)
        for column, aliases in HEADERS.items():
            if key in aliases and column not in columns:
                columns[column] = index
    if "full_name" not in columns or "email" not in columns:
        result.errors.append(
            _("The first line must name the columns; “Họ và tên” and “Email” are required. Found: %(found)s")
            % {"found": ", ".join(header) or "—"}
        )
        return result

    def cell(values: list[str], column: str) -> str:
        index = columns.get(column)
        return unicodedata.normalize("NFC", values[index].strip()) if index is not None and index < len(values) else ""

    raw_rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(raw_rows) >= MAX_ROWS:
            result.errors.append(_("At most %(n)d members can be imported at once.") % {"n": MAX_ROWS})
            return result
        raw_rows.append((reader.line_num, values))
    if not raw_rows:
        result.errors.append(_("The file has no member rows under its header."))
        return result
    rows = []
    for line, values in raw_rows:
        role = cell(values, "role")
        status = cell(values, "status")
        row = MemberRow(
            line=line,
            full_name=" ".join(part for part in (cell(values, "family_name"), cell(values, "full_name")) if part),
            username=cell(values, "username"),
            email=cell(values, "email"),
            phone=cell(values, "phone"),
        )
        if fold(role) in ROLES:
            row.role = ROLES[fold(role)]
        else:
            row.errors.append(_("Unknown role “%(value)s” (use: đảng viên, phó bí thư, bí thư).") % {"value": role})
        if fold(status) in STATUSES:
            row.status = STATUSES[fold(status)]
        else:
            row.errors.append(_("Unknown status “%(value)s” (use: chính thức, dự bị).") % {"value": status})
        rows.append(row)
    result.rows = validate_rows(rows, cell=unit)
    return result


def validate_rows(rows: list[MemberRow], cell=None) -> list[MemberRow]:
    """Check names, e-mails and usernames against each other and the database (3 queries)."""
    emails = {row.email.lower() for row in rows if row.email}
    usernames = {row.username.lower() for row in rows if row.username}
    taken_emails = set(User.objects.annotate(e=Lower("email")).filter(e__in=emails).values_list("e", flat=True))
    taken_usernames = set(
        User.objects.annotate(u=Lower("username")).filter(u__in=usernames).values_list("u", flat=True)
    )
    seen_emails: dict[str, int] = {}
    seen_usernames: dict[str, int] = {}
    for row in rows:
        if not row.full_name:
            row.errors.append(_("The full name is missing."))
        else:
            try:
                row.full_name = clean_full_name(row.full_name)
            except ValidationError as exc:
                row.errors.extend(exc.messages)
            else:
                if len(row.full_name) > 150:
                    row.errors.append(_("The full name is longer than 150 characters."))
        if row.email:  # without one, the member is invited with a printed slip (accounts.pdf)
            try:
                validate_email(row.email)
                if len(row.email) > EMAIL_MAX:  # the validator allows 320; the column holds 254
                    raise ValidationError("too long")
            except ValidationError:
                row.errors.append(_("“%(value)s” is not a valid email address.") % {"value": row.email})
            else:
                key = row.email.lower()
                if key in taken_emails:
                    row.errors.append(_("The email %(value)s already belongs to an account.") % {"value": row.email})
                elif key in seen_emails:
                    row.errors.append(
                        _("The email %(value)s is also on line %(line)d.")
                        % {"value": row.email, "line": seen_emails[key]}
                    )
                seen_emails.setdefault(key, row.line)
        if len(row.phone) > 20:
            row.errors.append(_("The phone number is longer than 20 characters."))
        if row.username:
            key = row.username.lower()
            if not USERNAME_RE.match(row.username) or len(row.username) > 150:
                row.errors.append(
                    _("The username “%(value)s” may only contain letters without accents, digits and . @ + - _")
                    % {"value": row.username}
                )
            elif key in taken_usernames:
                row.errors.append(_("The username %(value)s is already taken.") % {"value": row.username})
            elif key in seen_usernames:
                row.errors.append(
                    _("The username %(value)s is also on line %(line)d.")
                    % {"value": row.username, "line": seen_usernames[key]}
                )
            seen_usernames.setdefault(key, row.line)
    if cell is not None:
        _check_secretaries(rows, cell)
    _fill_usernames(rows, set(seen_usernames))
    return rows


def _check_secretaries(rows: list[MemberRow], cell) -> None:
    """A cell has one secretary: say so at preview, not as a failure at confirmation."""
    current = (
        Membership.objects.filter(cell=cell, role=Membership.Role.SECRETARY, ended_on__isnull=True)
        .select_related("user")
        .first()
    )
    first_line = None
    for row in rows:
        if row.role != Membership.Role.SECRETARY:
            continue
        if current is not None:
            row.errors.append(
                _("%(cell)s already has a secretary, %(name)s. Change their role first.")
                % {"cell": cell.name, "name": current.user.full_name}
            )
        elif first_line is not None:
            row.errors.append(_("Only one secretary per cell: line %(line)d is already one.") % {"line": first_line})
        else:
            first_line = row.line


def _fill_usernames(rows: list[MemberRow], chosen: set[str]) -> None:
    """Suggest a username for rows without one, avoiding the database and the file."""
    missing = [row for row in rows if not row.username and row.full_name]
    if not missing:
        return
    bases = {suggest_username(row.full_name, set()) for row in missing}
    regex = r"^(" + "|".join(re.escape(b) for b in bases) + r")[0-9]*$"
    taken = chosen | {u.lower() for u in User.objects.filter(username__iregex=regex).values_list("username", flat=True)}
    for row in missing:
        row.username = suggest_username(row.full_name, taken)
        taken.add(row.username)
