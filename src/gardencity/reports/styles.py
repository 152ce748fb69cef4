"""QGIS styles of the diagnostic layers, from the vocabulary."""

from __future__ import annotations

from gardencity.vocabulary import rgba, vocabulary

__all__ = ["layer_qml"]


def layer_qml(name: str, geometry_type: str) -> str:
    """The layer's QGIS style from the vocabulary (a grey fill for a layer it does not know)."""
    term = vocabulary().layers.get(name)
    style = term.style if term is not None and term.style is not None else None
    if style is None:
        style = vocabulary().style("layers", "no_data")
    outline = rgba(style.stroke) if style.stroke else "0,0,0,0"
    width = f"{style.width:g}"
    if style.fill is None or geometry_type.endswith("LineString"):
        dash = ""
        if style.dash:
            pattern = ";".join(f"{d:g}" for d in style.dash)
            dash = (
                '<Option name="use_custom_dash" value="1" type="QString"/>'
                f'<Option name="customdash" value="{pattern}" type="QString"/>'
                '<Option name="customdash_unit" value="MM" type="QString"/>'
            )
        symbol = (
            f'<symbol type="line" name="0" alpha="1"><layer class="SimpleLine">'
            f'<Option type="Map"><Option name="line_color" value="{outline}" type="QString"/>'
            f'<Option name="line_width" value="{width}" type="QString"/>'
            f'<Option name="line_width_unit" value="MM" type="QString"/>{dash}</Option>'
            f"</layer></symbol>"
        )
    else:
        fill = rgba(style.fill, style.fill_opacity)
        hatch = ""
        if style.hatch:  # the fill under diagonal lines in the outline colour
            hatch = (
                f'<layer class="SimpleFill"><Option type="Map">'
                f'<Option name="color" value="{outline}" type="QString"/>'
                f'<Option name="style" value="f_diagonal" type="QString"/>'
                f'<Option name="outline_style" value="no" type="QString"/></Option></layer>'
            )
        symbol = (
            f'<symbol type="fill" name="0" alpha="1"><layer class="SimpleFill">'
            f'<Option type="Map"><Option name="color" value="{fill}" type="QString"/>'
            f'<Option name="outline_color" value="{outline}" type="QString"/>'
            f'<Option name="outline_width" value="{width}" type="QString"/>'
            f'<Option name="outline_width_unit" value="MM" type="QString"/></Option>'
            f"</layer>{hatch}</symbol>"
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.34" styleCategories="Symbology">'
        f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0">'
        f"<symbols>{symbol}</symbols></renderer-v2></qgis>"
    )
