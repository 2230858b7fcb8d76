"""The four steps of the method (四步走), one module each, called in order by :func:`blockcheck.pipeline.run`.

- :mod:`~blockcheck.steps.health_check` — 体检评估找问题: metrics, problem list, resource list
- :mod:`~blockcheck.steps.consultation` — 多元协商问需求: demand and vision lists
- :mod:`~blockcheck.steps.strategy` — 整体策划配政策: strategy and policy lists
- :mod:`~blockcheck.steps.action` — 制定计划推行动: task and project lists
"""
