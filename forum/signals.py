"""Cache generations the forum's rows feed (see core.cache): a topic's page follows its
topic, posts and reactions (`topic:<id>`), a reader's read mark (`read:<user>:<topic>`);
cached topics carry their theme (`org`, themes change a few times a year). Every write path
bumps (save, delete, queryset update, bulk_create, bulk_update: core.cache.track), here,
in services and in the admin."""

from core.cache import track
from forum.models import Absence, Attendance, Ballot, Motion, Post, Reaction, ReadState, Theme, Topic

track(Topic, fields=("id",), generations=lambda row, changed: [f"topic:{row['id']}"])
track(Post, fields=("topic_id",), generations=lambda row, changed: [f"topic:{row['topic_id']}"])
track(Reaction, fields=("post__topic_id",), generations=lambda row, changed: [f"topic:{row['post__topic_id']}"])
track(
    ReadState,
    fields=("user_id", "topic_id"),
    generations=lambda row, changed: [f"read:{row['user_id']}:{row['topic_id']}"],
)
track(Theme, fields=(), generations=lambda row, changed: ["org"])
track(Absence, fields=("topic_id",), generations=lambda row, changed: [f"topic:{row['topic_id']}"])
track(Attendance, fields=("topic_id",), generations=lambda row, changed: [f"topic:{row['topic_id']}"])
track(Motion, fields=("topic_id",), generations=lambda row, changed: [f"topic:{row['topic_id']}"])
track(Ballot, fields=("motion__topic_id",), generations=lambda row, changed: [f"topic:{row['motion__topic_id']}"])
