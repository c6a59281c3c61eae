"""The main journeys of the issue, over HTTP against the whole running system:
a partner reserves tablets for a workshop; a resident borrows a laptop, renews
it, returns it, it is wiped and lent again; a manager lists overdue loans."""
import pytest

pytestmark = pytest.mark.slow


def test_staff_sign_in_with_their_password_and_are_known_as_their_partners(system):
    staff = system.sign_in("staff@jean-vilar.test")

    me = staff.get("/api/me").json()

    assert me["role"] == "staff" and me["partner_id"] == system.world.jean_vilar.id
