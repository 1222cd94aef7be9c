from accounts.models import User
from notifications.models import Notification


def seed(stdout) -> None:
    for user in User.objects.filter(username__in=["bithu", "dangvien", "dangvien2", "canbo"]):
        if not Notification.objects.filter(user=user, kind="welcome").exists():
            Notification.objects.create(
                user=user,
                kind="welcome",
                message=f"Chào mừng {user.full_name} đến với Chi bộ số!",
                url="/",
            )
