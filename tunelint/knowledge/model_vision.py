"""Parameters of a multimodal wrapper's vision tower and projector, from its `vision_config`.

Counted from transformers 5.24's modeling files, checked on the meta device in
tests/knowledge/test_models_vision_meta.py: SigLIP plus Gemma 3's projector (modeling_siglip.py,
Gemma3MultiModalProjector), CLIP plus LLaVA's two-layer projector (modeling_clip.py,
LlavaMultiModalProjector), Qwen2-VL's, Qwen2.5-VL's and Qwen3-VL's / Qwen3.5's ViTs with their
patch mergers (modeling_qwen2_vl.py, modeling_qwen2_5_vl.py, modeling_qwen3_vl.py,
modeling_qwen3_5.py), Llama 4's vision encoder with its pixel-shuffle adapter and projector
(modeling_llama4.py), and Llama 3.2 Vision's tiled encoder and projector (modeling_mllama.py).
Each function returns None where it cannot read the config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

VisionCounter = Callable[[dict[str, Any], dict[str, Any], int], int | None]


def _int(cfg: dict[str, Any], key: str, default: int) -> int:
    value = cfg.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def _linear(n_in: int, n_out: int, bias: bool = True) -> int:
    return n_in * n_out + (n_out if bias else 0)


def _vit_layer(width: int, mlp: int, norm: int) -> int:
    """One pre-norm ViT layer: q/k/v/o (or fused qkv + proj) with biases, a biased two-layer
    MLP and two norms of `norm` parameters each."""
    return 4 * _linear(width, width) + _linear(width, mlp) + _linear(mlp, width) + 2 * norm


@dataclass(frozen=True, slots=True)
class _Tower:
    """A ViT's dimensions as SigLIP, CLIP and Llama 4's vision configs name them."""

    width: int
    mlp: int
    layers: int
    patch_in: int  # values in one patch: channels x patch x patch
    patches: int  # patches per image side squared

    @property
    def blocks(self) -> int:
        """The encoder layers (LayerNorms) plus a patch embedding without bias."""
        return self.layers * _vit_layer(self.width, self.mlp, 2 * self.width) + (
            self.patch_in * self.width
        )


def _tower(
    vision: dict[str, Any], width: int, mlp: int, layers: int, patch: int, image: int
) -> _Tower:
    """Read a ViT config with its class's defaults."""
    side = _int(vision, "patch_size", patch)
    return _Tower(
        width=_int(vision, "hidden_size", width),
        mlp=_int(vision, "intermediate_size", mlp),
        layers=_int(vision, "num_hidden_layers", layers),
        patch_in=_int(vision, "num_channels", 3) * side * side,
        patches=(_int(vision, "image_size", image) // side) ** 2,
    )


def siglip(vision: dict[str, Any], _: dict[str, Any], text_hidden: int) -> int | None:
    """SigLIP vision tower (patch conv with bias, positions, post LayerNorm) plus Gemma 3's
    projector (weight and its RMSNorm)."""
    t = _tower(vision, width=768, mlp=3072, layers=12, patch=16, image=224)
    hv = t.width
    total = t.blocks + hv + t.patches * hv + 2 * hv
    if vision.get("vision_use_head", True):  # attention-pooling head: probe, MHA, norm, MLP
        total += hv + (3 * hv * hv + 3 * hv) + _linear(hv, hv) + 2 * hv
        total += _linear(hv, t.mlp) + _linear(t.mlp, hv)
    return total + hv * text_hidden + hv


def clip_llava(vision: dict[str, Any], wrapper: dict[str, Any], text_hidden: int) -> int | None:
    """CLIP vision tower (class token, patch conv, pre/post LayerNorms) plus LLaVA's projector
    (linear_1 from the selected layer(s), GELU, linear_2)."""
    t = _tower(vision, width=768, mlp=3072, layers=12, patch=32, image=224)
    hv = t.width
    tower = t.blocks + hv + (t.patches + 1) * hv + 4 * hv
    selected = wrapper.get("vision_feature_layer", -2)
    feeds = len(selected) if isinstance(selected, list) else 1
    bias = bool(wrapper.get("multimodal_projector_bias", True))
    projector = _linear(hv * feeds, text_hidden, bias) + _linear(text_hidden, text_hidden, bias)
    return tower + projector


def _merger(width: int, merge: int, out: int, norm: int) -> int:
    """Qwen's patch merger: a norm, then merge^2 patches concatenated through a two-layer MLP."""
    inner = width * merge * merge
    return norm + _linear(inner, inner) + _linear(inner, out)


def qwen2_vl(vision: dict[str, Any], _: dict[str, Any], text_hidden: int) -> int | None:
    """Qwen2-VL's ViT: Conv3d patches (no bias), LayerNorms, fused qkv, fc1/fc2 MLP of
    embed_dim x mlp_ratio; the merger maps to `hidden_size` (the text model's width)."""
    e = _int(vision, "embed_dim", 1280)
    mlp = e * _int(vision, "mlp_ratio", 4)
    depth = _int(vision, "depth", 32)
    patch = _int(vision, "patch_size", 14) ** 2 * _int(vision, "temporal_patch_size", 2)
    embed = _int(vision, "in_channels", 3) * patch * e
    out = _int(vision, "hidden_size", text_hidden)
    merge = _int(vision, "spatial_merge_size", 2)
    return embed + depth * _vit_layer(e, mlp, 2 * e) + _merger(e, merge, out, 2 * e)


def qwen2_5_vl(vision: dict[str, Any], _: dict[str, Any], text_hidden: int) -> int | None:
    """Qwen2.5-VL's ViT: RMSNorms and a biased gated MLP (gate/up/down) per block; the
    merger (RMSNorm) maps to `out_hidden_size`."""
    e = _int(vision, "hidden_size", 1280)
    i = _int(vision, "intermediate_size", 3420)
    depth = _int(vision, "depth", 32)
    patch = _int(vision, "patch_size", 14) ** 2 * _int(vision, "temporal_patch_size", 2)
    embed = _int(vision, "in_channels", 3) * patch * e
    block = 4 * _linear(e, e) + 2 * _linear(e, i) + _linear(i, e) + 2 * e
    out = _int(vision, "out_hidden_size", text_hidden)
    merge = _int(vision, "spatial_merge_size", 2)
    return embed + depth * block + _merger(e, merge, out, e)


def qwen3_vl(vision: dict[str, Any], _: dict[str, Any], text_hidden: int) -> int | None:
    """Qwen3-VL's (and Qwen3.5's) ViT: biased Conv3d patches, learned position embeddings,
    LayerNorms, a plain biased MLP; the merger normalises before the shuffle, each DeepStack
    merger (one per `deepstack_visual_indexes` entry) after it."""
    e = _int(vision, "hidden_size", 1152)
    i = _int(vision, "intermediate_size", 4304)
    depth = _int(vision, "depth", 27)
    patch = _int(vision, "patch_size", 16) ** 2 * _int(vision, "temporal_patch_size", 2)
    embed = _int(vision, "in_channels", 3) * patch * e + e
    positions = _int(vision, "num_position_embeddings", 2304) * e
    out = _int(vision, "out_hidden_size", text_hidden)
    merge = _int(vision, "spatial_merge_size", 2)
    deepstack = vision.get("deepstack_visual_indexes") or []
    stacked = len(deepstack) * _merger(e, merge, out, 2 * e * merge * merge)
    tower = embed + positions + depth * _vit_layer(e, i, 2 * e)
    return tower + _merger(e, merge, out, 2 * e) + stacked


def llama4(vision: dict[str, Any], wrapper: dict[str, Any], text_hidden: int) -> int | None:
    """Llama 4's vision encoder (class token, a linear patch embedding, LayerNorms, biased
    q/k/v/o and fc1/fc2), its pixel-shuffle MLP adapter and the projector (no biases)."""
    t = _tower(vision, width=768, mlp=5632, layers=34, patch=14, image=448)
    tower = t.blocks + t.width + (t.patches + 1) * t.width + 4 * t.width
    iv = t.mlp
    p_in = _int(vision, "projector_input_dim", 4096)
    p_out = _int(vision, "projector_output_dim", 4096)
    adapter = iv * p_in + p_out * p_out
    bias = bool(vision.get("multi_modal_projector_bias", False))
    projector = _linear(_int(vision, "vision_output_dim", 7680), text_hidden, bias)
    return tower + adapter + projector


def mllama(vision: dict[str, Any], _: dict[str, Any], text_hidden: int) -> int | None:
    """Llama 3.2 Vision's encoder (MllamaVisionModel): a bias-free patch conv, a class token,
    gated position and per-tile embeddings, LayerNorms before and after, a local transformer
    and a global one whose layers add two gates, bias-free q/k/v/o with biased fc1/fc2; then
    the biased projector from `vision_output_dim` to the text model's width."""
    w = _int(vision, "hidden_size", 1280)
    mlp = _int(vision, "intermediate_size", 5120)
    side = _int(vision, "patch_size", 14)
    patches = (_int(vision, "image_size", 448) // side) ** 2 + 1  # + the class token
    tiles = _int(vision, "max_num_tiles", 4)
    ratios = vision.get("supported_aspect_ratios")
    ratio_ids = (len(ratios) if isinstance(ratios, list) else 8) + 1  # max_aspect_ratio_id + 1
    local = _int(vision, "num_hidden_layers", 32)
    global_ = _int(vision, "num_global_layers", 8)
    layer = 4 * w * w + _linear(w, mlp) + _linear(mlp, w) + 4 * w
    encoders = (local + global_) * layer + 2 * global_
    embed = _int(vision, "num_channels", 3) * side * side * w + w
    positions = 1 + patches * w + ratio_ids * tiles * patches * w
    tile_embeds = 2 * (ratio_ids * tiles * w + 1)  # pre- and post-tile, each gated
    projector = _linear(_int(vision, "vision_output_dim", 7680), text_hidden)
    return embed + positions + tile_embeds + 4 * w + encoders + projector


# vision_config.model_type, else the wrapper's model_type -> how to count it
COUNTERS: dict[str, VisionCounter] = {
    "siglip_vision_model": siglip,
    "gemma3": siglip,
    "clip_vision_model": clip_llava,
    "llava": clip_llava,
    "qwen2_vl": qwen2_vl,
    "qwen2_5_vl": qwen2_5_vl,
    "qwen3_vl": qwen3_vl,
    "qwen3_vl_moe": qwen3_vl,
    "qwen3_5": qwen3_vl,
    "qwen3_5_moe": qwen3_vl,
    "llama4_vision_model": llama4,
    "llama4": llama4,
    "mllama_vision_model": mllama,
    "mllama": mllama,
}


def vision_params(wrapper: dict[str, Any], text_hidden: int) -> int | None:
    """The vision tower and projector of a multimodal config.json (None: not counted)."""
    vision = wrapper.get("vision_config")
    if not isinstance(vision, dict):
        return None
    wrapper_type = str(wrapper.get("model_type") or "")
    vision_type = str(vision.get("model_type") or "")
    # A LLaVA wrapper names its tower's type; a Qwen wrapper writes its own type there.
    counter = COUNTERS.get(vision_type) or COUNTERS.get(wrapper_type)
    if wrapper_type == "llava" and vision_type not in ("", "clip_vision_model"):
        counter = None  # LLaVA over SigLIP or another tower: a different projector input
    return counter(vision, wrapper, text_hidden) if counter else None
