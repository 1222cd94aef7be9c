from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.start, name="start"),
    path("units/<int:pk>/", views.unit_report, name="unit"),
    path("units/<int:pk>/export.csv", views.unit_csv, name="unit_csv"),
    path("units/<int:pk>/export.xlsx", views.unit_xlsx, name="unit_xlsx"),
    path("units/<int:pk>/export.pdf", views.unit_pdf, name="unit_pdf"),
    path("units/<int:pk>/remind/", views.remind, name="remind"),
]
