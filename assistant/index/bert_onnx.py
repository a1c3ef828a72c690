"""A BERT encoder's ONNX graph, written with ``onnx`` from the packaged safetensors weights: no torch.

all-MiniLM-L6-v2 is a plain BERT (absolute positions, exact GELU, post-LayerNorm), so its forward pass is a short list
of standard operators: embeddings (word + position + token type, LayerNorm), then per layer self-attention (scaled
dot product with the padding mask as an additive bias, softmax) and a GELU feed-forward, each followed by a residual
add and LayerNorm. The graph's inputs and output are the ones torch's exporter gave (``input_ids``,
``attention_mask``, ``token_type_ids`` → ``last_hidden_state``), so pooling stays where it was (embed.OnnxMiniLM); a
test checks the vectors against sentence-transformers' own (tests/data/minilm_reference.json).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import BackendError

OPSET = 17  # LayerNormalization is a standard operator from opset 17


def build_bert_onnx(model_dir: Path):
    """The ``onnx.ModelProto`` of the BERT model in ``model_dir`` (config.json + model.safetensors)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        raise BackendError(
            f"{model_dir} is not a BERT model with GELU ({config.get('model_type')}, {config.get('hidden_act')}); "
            "only such a model runs on onnxruntime here"
        )
    weights = load_file(str(model_dir / "model.safetensors"))
    if "embeddings.word_embeddings.weight" not in weights:  # saved with the "bert." prefix of a task model
        weights = {k.removeprefix("bert."): v for k, v in weights.items()}
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    head_dim, eps = hidden // heads, float(config.get("layer_norm_eps", 1e-12))

    nodes: list = []
    inits: dict[str, Any] = {}

    def const(name: str, value) -> str:
        inits[name] = numpy_helper.from_array(np.asarray(value), name)
        return name

    def weight(key: str, transpose: bool = False) -> str:
        value = weights[key]
        return const(key, np.ascontiguousarray(value.T) if transpose else value)

    count = iter(range(1_000_000))

    def op(kind: str, *inputs: str, **attrs) -> str:
        out = f"{kind.lower()}_{next(count)}"
        nodes.append(helper.make_node(kind, list(inputs), [out], **attrs))
        return out

    def dense(x: str, prefix: str) -> str:
        return op("Add", op("MatMul", x, weight(f"{prefix}.weight", transpose=True)), weight(f"{prefix}.bias"))

    def layer_norm(x: str, prefix: str) -> str:
        return op("LayerNormalization", x, weight(f"{prefix}.weight"), weight(f"{prefix}.bias"), axis=-1, epsilon=eps)

    # embeddings: word + position (0..T-1) + token type, then LayerNorm
    length = op("Gather", op("Shape", "input_ids"), const("axis1", np.array(1, dtype=np.int64)), axis=0)
    positions = op("Range", const("zero", np.array(0, dtype=np.int64)), length, const("one", np.array(1, np.int64)))
    x = op(
        "Add",
        op(
            "Add",
            op("Gather", weight("embeddings.word_embeddings.weight"), "input_ids"),
            op("Gather", weight("embeddings.position_embeddings.weight"), positions),
        ),
        op("Gather", weight("embeddings.token_type_embeddings.weight"), "token_type_ids"),
    )
    x = layer_norm(x, "embeddings.LayerNorm")

    # padding → a large negative bias on the attention scores, shape (batch, 1, 1, tokens)
    keep = op("Cast", "attention_mask", to=TensorProto.FLOAT)
    masked = op("Sub", const("f_one", np.array(1.0, dtype=np.float32)), keep)
    bias = op("Mul", masked, const("f_min", np.array(np.finfo(np.float32).min, dtype=np.float32)))
    bias = op("Unsqueeze", bias, const("axes12", np.array([1, 2], dtype=np.int64)))
    split = const("split_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge = const("merge_heads", np.array([0, 0, hidden], dtype=np.int64))
    scale = const("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    half = const("half", np.array(0.5, dtype=np.float32))
    root2 = const("sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))

    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}"

        def heads_of(name: str, perm: list[int], x=x, p=p) -> str:
            return op("Transpose", op("Reshape", dense(x, f"{p}.attention.self.{name}"), split), perm=perm)

        q = heads_of("query", [0, 2, 1, 3])  # (batch, heads, tokens, head_dim)
        k = heads_of("key", [0, 2, 3, 1])  # (batch, heads, head_dim, tokens)
        v = heads_of("value", [0, 2, 1, 3])
        scores = op("Add", op("Mul", op("MatMul", q, k), scale), bias)
        context = op("MatMul", op("Softmax", scores, axis=-1), v)
        context = op("Reshape", op("Transpose", context, perm=[0, 2, 1, 3]), merge)
        x = layer_norm(op("Add", dense(context, f"{p}.attention.output.dense"), x), f"{p}.attention.output.LayerNorm")
        h = dense(x, f"{p}.intermediate.dense")
        h = op("Mul", op("Mul", h, half), op("Add", op("Erf", op("Div", h, root2)), "f_one"))  # exact GELU
        x = layer_norm(op("Add", dense(h, f"{p}.output.dense"), x), f"{p}.output.LayerNorm")

    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    graph = helper.make_graph(
        nodes,
        "bert",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"]) for n in names],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        initializer=list(inits.values()),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="assistant")
    model.ir_version = 8  # onnxruntime ≥ 1.15 reads it
    onnx.checker.check_model(model)
    return model
