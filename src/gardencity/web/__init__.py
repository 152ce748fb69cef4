"""The web pages: 一张图 (map), 驾驶舱 (cockpit), the case desk and patrol mode, rankings,
targets, assessment runs with what-if, and the residents' public page.

Jinja2 templates and small vanilla JS/CSS served by the API's own app; Leaflet and ECharts
come from npm (``node_modules``, installed by ``make install``) and are served locally.
"""

from gardencity.web.mount import install_web

__all__ = ["install_web"]
