from pathlib import Path

from gardencity.io.layers import LAYERS, TABLES, schema_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "workspace.md"


def test_docs_workspace_is_the_generated_schema() -> None:
    assert DOC.read_text(encoding="utf-8") == schema_markdown(), (
        'docs/workspace.md is stale: regenerate it with python -c "from gardencity.io.layers '
        "import schema_markdown; print(schema_markdown(), end='')\" > docs/workspace.md"
    )


def test_every_layer_and_field_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for spec in [*LAYERS.values(), *TABLES.values()]:
        assert f"`{spec.name}`" in text
        for field in spec.fields:
            assert f"`{field.name}`" in text


def test_boolean_fields_read_as_booleans_or_as_text_give_the_same_values() -> None:
    """A GeoPackage's boolean column (numpy booleans, no missing value) is taken as it is;
    text, numbers and missing values are read one by one: the same Python values."""
    import geopandas as gpd
    import shapely

    from gardencity.io.layers import layer_spec
    from gardencity.io.vector import coerce_fields

    spec = layer_spec("green_spaces")
    geometry = [shapely.box(0, 0, 1, 1)] * 3
    as_booleans = gpd.GeoDataFrame({"is_open": [True, False, True]}, geometry=geometry)
    as_text = gpd.GeoDataFrame({"is_open": ["是", "no", "TRUE"]}, geometry=geometry)
    with_missing = gpd.GeoDataFrame({"is_open": [1.0, float("nan"), 0.0]}, geometry=geometry)
    from_booleans = coerce_fields(as_booleans, spec)["is_open"]
    assert from_booleans.dtype == object
    assert [(type(v), v) for v in from_booleans] == [(bool, True), (bool, False), (bool, True)]
    assert from_booleans.tolist() == coerce_fields(as_text, spec)["is_open"].tolist()
    assert coerce_fields(with_missing, spec)["is_open"].tolist() == [True, None, False]
