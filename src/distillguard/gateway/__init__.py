"""The enforcement point: an OpenAI-compatible gateway that scores, decides and enforces per request.

``distillguard serve --upstream URL --config FILE`` runs :func:`distillguard.gateway.app.create_app`
under uvicorn. See ``docs/gateway.md``.
"""
