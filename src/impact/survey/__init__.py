"""Design-based estimates from complex surveys: beneficiaries' feedback with honest intervals.

:class:`SurveyDesign` describes a weighted, stratified, clustered sample
(or one with replicate weights) and estimates means, totals, ratios,
proportions, differences between waves or groups, and barometer statistics
(``top_box``, ``net_satisfaction``) by domain, with Taylor-linearised or
replicate variances, Student t intervals on the design's degrees of freedom,
design effects, and masking of estimates resting on too few respondents.

Modules: ``design`` (the design and its checks), ``linearize`` (the
variance of every domain in one grouped pass), ``replicate`` (replicate
weights), ``estimate`` (domains, statistics, differences), ``barometer``
(top box, net satisfaction, proportion intervals), ``results``.
"""

from impact.survey.design import LONELY_PSU, SurveyDesign
from impact.survey.replicate import REPLICATE_TYPES
from impact.survey.results import SurveyResult

__all__ = ["SurveyDesign", "SurveyResult", "LONELY_PSU", "REPLICATE_TYPES"]
