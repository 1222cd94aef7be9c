from django.urls import path

from courses import views

app_name = "courses"
urlpatterns = [
    path("", views.module_list, name="list"),
    path("<int:pk>/", views.module_detail, name="module"),
    path("<int:pk>/quiz/", views.quiz_start, name="quiz_start"),
    path("lessons/<int:pk>/", views.lesson_detail, name="lesson"),
    path("lessons/<int:pk>/read/", views.lesson_read, name="lesson_read"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("attempts/<int:pk>/answers/", views.attempt_answers, name="attempt_answers"),
    path("certificates/", views.certificate_list, name="certificates"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate"),
    path("certificates/<int:pk>/pdf/", views.certificate_download, name="certificate_pdf"),
    path("certificates/<int:pk>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("certificates/<int:pk>/reissue/", views.certificate_reissue, name="certificate_reissue"),
    path("signers/<int:pk>/<str:kind>.png", views.signer_image, name="signer_image"),
    path("progress/", views.progress_index, name="progress"),
    path("progress/cells/<int:pk>/", views.cell_progress, name="cell_progress"),
    path("progress/cells/<int:pk>/csv/", views.cell_progress_csv, name="cell_progress_csv"),
    path("progress/cells/<int:pk>/certificates.zip", views.cell_certificates_zip, name="cell_certificates_zip"),
    path("progress/units/<int:pk>/", views.committee_progress, name="committee_progress"),
    path("progress/units/<int:pk>/csv/", views.committee_progress_csv, name="committee_progress_csv"),
]
