"""Models chosen by ``type``: the registry each stage (detectors, embedders) keeps.

A plugin is a settings class, a pydantic model whose ``type`` field (a one-value Literal)
names it in a config file and whose ``landmark_scheme`` says which five points it gives or
needs, and a builder that turns those settings into the working model. A stage's config
union (``detector`` or ``embed`` in ``ClearsightConfig``) and its factory are both read from
its registry, so adding a model is one module holding its settings and implementation, and
one ``register`` call.

The union is built once, when ``clearsight.config`` defines its models; the registry is
closed then, since a plugin registered later could never be named in a config file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from clearsight.errors import ConfigError

__all__ = ["PluginRegistry", "PluginSettings"]


class PluginSettings(BaseModel):
    """Settings of one plugin: ``type`` names it; every setting is documented and checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(title="Type", description="The plugin these settings are for.")
    landmark_scheme: ClassVar[str]
    """The five landmarks this model gives (a detector) or cuts its chips from (an embedder):
    ``dlib`` (eye corners, nose base) or ``insightface`` (eyes, nose tip, mouth corners)."""


SettingsT = TypeVar("SettingsT", bound=PluginSettings)
ModelT = TypeVar("ModelT")
SectionReader = Callable[[dict[str, Any]], dict[str, Any]]


def _type_key(settings: type[PluginSettings]) -> str:
    field = settings.model_fields.get("type")
    key = None if field is None else field.default
    if not isinstance(key, str):
        raise TypeError(f"{settings.__name__}.type needs its plugin's name as default")
    return key


class PluginRegistry(Generic[SettingsT, ModelT]):
    """The plugins of one stage by ``type``, in the order they were registered (the first
    of a landmark scheme is the one error messages suggest first).

    ``read_section``, where given, turns a config table as written into one naming its
    ``type`` (a default, older spellings) before the plugin's settings class reads it; the
    errors of that class then name the keys as written, without the type.
    """

    def __init__(self, stage: str, default: str, read_section: SectionReader | None = None):
        self.stage = stage
        self.default = default
        self._read_section = read_section
        self._plugins: dict[str, tuple[type[SettingsT], Callable[[Any], ModelT]]] = {}
        self._closed = False

    def register(self, settings: type[SettingsT], build: Callable[[Any], ModelT]) -> None:
        """Make ``settings``' type selectable: ``build(settings)`` makes the model."""
        key = _type_key(settings)
        if self._closed:
            raise ValueError(
                f'{self.stage} type "{key}" registered after clearsight.config built its '
                "models, so no config could name it: import its module first"
            )
        if key in self._plugins:
            raise ValueError(f'{self.stage} type "{key}" is registered twice')
        self._plugins[key] = (settings, build)

    def types(self, landmark_scheme: str | None = None) -> list[str]:
        """Registered types, of one landmark scheme where given."""
        return [
            key
            for key, (settings, _) in self._plugins.items()
            if landmark_scheme in (None, settings.landmark_scheme)
        ]

    def settings_class(self, key: str) -> type[SettingsT]:
        """The settings class of ``key``; ValueError (a validation error) if none."""
        plugin = self._plugins.get(key)
        if plugin is None:
            known = ", ".join(f'"{name}"' for name in self._plugins)
            raise ValueError(f'{self.stage} type "{key}" is none of {known}')
        return plugin[0]

    def default_settings(self) -> SettingsT:
        """The default plugin's settings, all defaults."""
        return self.settings_class(self.default).model_validate({})

    def create(self, settings: SettingsT) -> ModelT:
        """The model ``settings`` describe, built by their plugin."""
        plugin = self._plugins.get(settings.type)
        if plugin is None or not isinstance(settings, plugin[0]):
            raise ConfigError(
                f'{self.stage} type "{settings.type}" ({type(settings).__name__}) is not a '
                f"registered plugin; registered: {', '.join(self._plugins)}"
            )
        return plugin[1](settings)

    def config_type(self) -> Any:
        """The pydantic type of this stage's config section: the registered settings
        classes, told apart by ``type``. Closes the registry."""
        self._closed = True
        classes = tuple(settings for settings, _ in self._plugins.values())
        union: Any = Annotated[Union[classes], Field(discriminator="type")]  # noqa: UP007
        if self._read_section is None:
            return union
        return Annotated[union, WrapValidator(self._validate_section)]

    def _validate_section(
        self, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        if not isinstance(value, dict) or self._read_section is None:
            return handler(value)  # settings built in code
        data = self._read_section(dict(value))
        settings = self.settings_class(str(data.get("type")))
        # Its errors become this section's, named by the keys as written.
        return settings.model_validate(data, context=info.context)
