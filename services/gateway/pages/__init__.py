"""The web pages: sign-in, a resident's loans, the front desk, reserving for a workshop.

Plain HTML forms that work without JavaScript: each POST checks its CSRF token,
then answers with a redirect to a page that shows what happened (POST-redirect-GET),
or shows the form again with an error summary naming each field at fault. Pages
speak the reader's language (i18n.py, catalogues in locale/). They reach the
services only through the operations the JSON API calls too (operations.py), so
they decide who may do what exactly as the API does.

Their methods are all named page_…: the Service class mixes them with the API's.
"""

from services.gateway.pages.admin import AdminPages
from services.gateway.pages.desk import FrontDesk
from services.gateway.pages.equipment import Equipment
from services.gateway.pages.feeds import CalendarFeeds
from services.gateway.pages.frame import Frame
from services.gateway.pages.guide import GuidePages
from services.gateway.pages.languages import TranslationReview
from services.gateway.pages.lending import Lending
from services.gateway.pages.loans import ResidentLoans
from services.gateway.pages.manage import ManagerPages
from services.gateway.pages.mine import ResidentHome
from services.gateway.pages.queue import DeskQueue
from services.gateway.pages.reservations import StaffReservations
from services.gateway.pages.residents import ResidentPages
from services.gateway.pages.sessions import SignIn
from services.gateway.pages.sharing import SharingPages
from services.gateway.pages.workshops import WorkshopReservations


class Pages(
    Frame,
    SignIn,
    ResidentLoans,
    FrontDesk,
    WorkshopReservations,
    # the desk's queue and calendars
    DeskQueue,
    CalendarFeeds,
    # a partner's devices
    Equipment,
    # reservations: lists, the week, pick-up and return
    StaffReservations,
    # residents: find, register, a profile, consent, export and erasure
    ResidentPages,
    # the desk's two steps, a loan's page and its slip
    Lending,
    # what the partner lets the others reserve
    SharingPages,
    # the public guide, /help, the poster and the help partners offer
    GuidePages,
    # a resident's own pages: home, history, details
    ResidentHome,
    # how far each language's translations are reviewed
    TranslationReview,
    # the administrator: accounts, partners, sites and their hours, categories
    AdminPages,
    # managers and the administrator: reports, suggestions, the audit log, open data
    ManagerPages,
):
    pass
