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
