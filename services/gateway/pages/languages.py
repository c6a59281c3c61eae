"""What staff may know of the translations: for each language of the pages and of the
residents' messages, how far a native speaker has reviewed it, and the words to check
first. A desk serving a resident in Pashto knows how far to trust what they read, and
whom to ask to check it."""

from partanum import catalogues
from partanum.catalogues import AWAITING_REVIEW
from partanum.i18n import NAMES
from services.gateway import operations
from services.gateway.authz import STAFF
from services.gateway.pages.catalogues import CATALOGUES
from services.gateway.pages.frame import page
from services.gateway.pages.i18n import N_

# The catalogues' review statuses (their header says it in English), in the reader's words.
LANGUAGES_STATUSES = {
    AWAITING_REVIEW: N_("À relire par une personne dont c'est la langue"),
}


class TranslationReview:
    @page("GET", "/languages")
    def page_languages(self, request, who):
        if who.role != STAFF:
            return self.page_sign_in_first(request, who, "/sign-in")
        messages = {
            entry["language"]: entry for entry in operations.message_catalogue_review(self, who)
        }
        rows = [
            {
                "language": entry["language"],
                "name": NAMES.get(entry["language"], entry["language"]),
                "pages": self.page_languages_status(request, entry["status"]),
                "messages": self.page_languages_status(
                    request, messages.get(entry["language"], {}).get("status")
                ),
                "check_first": [
                    words
                    for words in (
                        entry["check_first"],
                        messages.get(entry["language"], {}).get("check_first"),
                    )
                    if words
                ],
            }
            for entry in catalogues.review(CATALOGUES)
        ]
        return self.page_render(
            request, who, "languages_review.html", N_("Relecture des traductions"), rows=rows
        )

    def page_languages_status(self, request, status: str | None) -> str:
        if status is None:
            return self.page_text(request, N_("Pas encore dit"))
        if status in LANGUAGES_STATUSES:
            return self.page_text(request, LANGUAGES_STATUSES[status])
        return status
