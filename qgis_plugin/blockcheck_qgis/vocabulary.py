"""The core's vocabulary for the plugin: labels, colours and classes, one core call each.

The other half of the bridge (:mod:`blockcheck_qgis.bridge`): what crosses here
is plain data — the labels and colours of coded values, the priority classes,
metric labels and units, and the classes of the metric choropleths at the
standards of a workbook — which :mod:`blockcheck_qgis.renderers` turns into
QGIS renderers and the editor into drop-downs. Nothing is decided here.
"""

from __future__ import annotations

from .bridge import core_call

__all__ = [
    "coded_labels",
    "coded_terms",
    "domain_codes",
    "metric_choropleths",
    "metric_entry",
    "metric_table_title",
    "no_data_label",
    "priority_classes",
]


def coded_labels(table: str, field: str, lang: str = "zh") -> dict[str, str]:
    """Code → label of a coded list field (``blockcheck.vocabulary``); empty when none codes it."""
    from blockcheck.vocabulary import field_labels

    return field_labels(table, field, lang)


def coded_terms(table: str, field: str) -> tuple:
    """The codes of a coded list field with their labels and colours (``blockcheck.vocabulary.Term``)."""
    from blockcheck.vocabulary import field_domain, terms

    domain = field_domain(table, field)
    return terms(domain) if domain else ()


def domain_codes(domain: str) -> tuple[str, ...]:
    """The codes of a vocabulary domain in order, e.g. the project domains (领域)."""
    from blockcheck.vocabulary import codes

    return codes(domain)


def metric_entry(column: str):
    """The metric schema's entry of a block_metrics column (label, unit, standard), or None."""
    from blockcheck.vocabulary import metric_schema

    return metric_schema().get(column)


def no_data_label(lang: str = "zh") -> str:
    """How a value without data is labelled (无数据 / No data)."""
    from blockcheck.vocabulary import no_data

    return no_data().label(lang)


def metric_table_title(table: str, lang: str = "zh") -> str:
    """The title of a metric table (街区体检指标 block_metrics, 全域指标 area_metrics)."""
    from blockcheck.vocabulary import metric_schema

    return metric_schema().table_title(table, lang)


def metric_choropleths(standards_rows: list[dict], lang: str = "zh") -> list:
    """Every metric choropleth of the core, classed at the standards of a workbook (its standards_used rows).

    Raises
    ------
    QgsProcessingException
        The rows lack a threshold (the core's message).
    """
    from blockcheck.choropleth import choropleth, choropleth_names

    with core_call():
        return [choropleth(name, standards_rows, lang) for name in choropleth_names()]


def priority_classes(lang: str = "zh") -> tuple:
    """The project priority classes as colour classes, lowest first."""
    from blockcheck.choropleth import priority_colour_classes

    return priority_colour_classes(lang)
