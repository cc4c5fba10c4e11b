"""Code generation: OCA schemas -> ``schemas/`` bundles -> ``ocpp_core/vXY`` packages.

Not imported by the library at run time. See ``python -m ocpp_core.codegen --help``.
"""
