from django.urls import path

from forum import views

app_name = "forum"

urlpatterns = [
    path("", views.forum_home, name="home"),
    path("new/", views.topic_new, name="topic_new"),
    path("cells/<int:pk>/members/", views.cell_members, name="cell_members"),
    path("search/", views.search, name="search"),
    path("flags/", views.flags, name="flags"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("themes/", views.themes, name="themes"),
    path("themes/<int:pk>/open/", views.session_open, name="session_open"),
    path("tracking/", views.tracking, name="tracking"),
    path("topics/<int:pk>/", views.topic_detail, name="topic"),
    path("topics/<int:pk>/members/", views.topic_members, name="topic_members"),
    path("topics/<int:pk>/conclude/", views.session_conclude, name="session_conclude"),
    path("topics/<int:pk>/reopen/", views.session_reopen, name="session_reopen"),
    path("topics/<int:pk>/moderate/", views.topic_moderate, name="topic_moderate"),
    path("topics/<int:pk>/participation/", views.participation, name="participation"),
    path("topics/<int:pk>/minutes.pdf", views.minutes, name="minutes"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("topics/<int:pk>/meeting/", views.meeting_edit, name="meeting_edit"),
    path("topics/<int:pk>/absence/", views.absence, name="absence"),
    path("topics/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("topics/<int:pk>/votes/", views.votes, name="votes"),
    path("topics/<int:pk>/votes/open/", views.motion_open, name="motion_open"),
    path("motions/<int:pk>/vote/", views.motion_vote, name="motion_vote"),
    path("motions/<int:pk>/close/", views.motion_close, name="motion_close"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/hide/", views.post_hide, name="post_hide"),
    path("posts/<int:pk>/agree/", views.post_agree, name="post_agree"),
    path("posts/<int:pk>/flag/", views.post_flag, name="post_flag"),
    path("posts/<int:pk>/revisions/", views.post_revisions, name="post_revisions"),
]
