"""Beneficiaries' feedback: survey statistics by wave and group, and free-text comments.

:func:`summarise_feedback` turns a survey of the people an initiative serves
into the statistics a report shows (means, top-box shares, net satisfaction
with design-based intervals from :mod:`impact.survey`, the change from the
first to the last wave), masking cells with too few respondents. The
analysis of free-text comments (personal-data masking, themes, topics,
quotes) lives in :mod:`impact.feedback.comments`.
"""

from impact.feedback.comments import CommentsResult, analyse_comments, mask_comments, mask_personal_data
from impact.feedback.summary import (
    FEEDBACK_STATISTICS,
    FeedbackSummary,
    check_feedback_spec,
    feedback_from_spec,
    summarise_feedback,
)

__all__ = [
    "CommentsResult",
    "analyse_comments",
    "mask_comments",
    "mask_personal_data",
    "FEEDBACK_STATISTICS",
    "FeedbackSummary",
    "check_feedback_spec",
    "feedback_from_spec",
    "summarise_feedback",
]
