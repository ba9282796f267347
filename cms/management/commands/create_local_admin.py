import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a local administrator account for development, with a freshly generated password "
        "printed once. Does nothing if the account already exists (reset its password with "
        "`manage.py changepassword USERNAME`). Never use it on a production site."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help="Account name (default: admin).")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"The administrator account “{username}” already exists; its password is unchanged. "
                f"Forgot it? Run: .venv/bin/python manage.py changepassword {username}"
            )
            return
        password = secrets.token_urlsafe(12)
        # A name and an address: Wagtail's account page requires them before it saves a preference
        # (such as the admin's language); the address is local and receives nothing.
        User.objects.create_superuser(
            username=username,
            email=f"{username}@localhost",
            password=password,
            first_name="Local",
            last_name="Administrator",
        )
        self.stdout.write(self.style.SUCCESS("Created a local administrator account. It is shown only this once:"))
        self.stdout.write(f"    username: {username}\n    password: {password}")
