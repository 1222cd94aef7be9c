from django.urls import path

from pledges import views

app_name = "pledges"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("start/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/save/", views.save, name="save"),
    path("<int:pk>/self-review/", views.self_review, name="self_review"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/rate/", views.rate, name="rate"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("<int:pk>/changes/", views.changes, name="changes"),
    path("review/", views.queue, name="queue"),
    path("compare/<int:a>/<int:b>/", views.compare, name="compare"),
    path("cells/<int:pk>/", views.tracking, name="tracking"),
    path("cells/<int:pk>/<int:year>/approved.zip", views.approved_zip, name="approved_zip"),
    path("units/<int:pk>/", views.committee, name="committee"),
    path("units/<int:pk>/<int:year>/pledges.csv", views.committee_csv, name="committee_csv"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_edit, name="template_new"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
]
