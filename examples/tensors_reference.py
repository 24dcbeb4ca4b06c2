"""Generates examples/tensors.expected: what examples/tensors.cpp must print, computed by
TensorFlow 2 itself (tensorflow-cpu from PyPI) running the same walk through the TF2 tensor guide.
Generated file — do not edit it by hand; rerun: python3 examples/tensors_reference.py > examples/tensors.expected
"""
import os
import re

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf  # noqa: E402


def section(title):
    print(f"== {title}")


def error_message(e):
    # TF decorates eager errors with "{{function_node ...}} " and " [Op:Reshape]"; the C++ example
    # prints the plain message, so strip both.
    msg = e.message if hasattr(e, "message") else str(e)
    msg = re.sub(r"^\{\{function_node [^}]*\}\} ", "", msg)
    return re.sub(r" \[Op:\w+\]( name: )?$", "", msg)


section("Basics")
rank_0_tensor = tf.constant(4)
print(rank_0_tensor)
rank_1_tensor = tf.constant([2.0, 3.0, 4.0])
print(rank_1_tensor)
rank_2_tensor = tf.constant([[1, 2], [3, 4], [5, 6]], dtype=tf.float16)
print(rank_2_tensor)
rank_3_tensor = tf.constant([
    [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]],
    [[10, 11, 12, 13, 14], [15, 16, 17, 18, 19]],
    [[20, 21, 22, 23, 24], [25, 26, 27, 28, 29]]])
print(rank_3_tensor)

section("Conversion")
print(rank_2_tensor.numpy())

section("Math")
a = tf.constant([[1, 2], [3, 4]])
b = tf.constant([[1, 1], [1, 1]])
print(tf.add(a, b))
print(tf.multiply(a, b))
print(tf.matmul(a, b))
print(a + b)
print(a * b)
print(a @ b)
c = tf.constant([[4.0, 5.0], [10.0, 1.0]])
print(tf.reduce_max(c))
print(tf.math.argmax(c))
print(tf.nn.softmax(c))
print(tf.reduce_sum(tf.constant([1.0, 2.0, 3.0])))

section("Shapes")
rank_4_tensor = tf.zeros([3, 2, 4, 5])
print("Type of every element:", rank_4_tensor.dtype.name)
print("Number of axes:", rank_4_tensor.ndim)
print("Shape of tensor:", rank_4_tensor.shape)
print("Elements along axis 0 of tensor:", rank_4_tensor.shape[0])
print("Elements along the last axis of tensor:", rank_4_tensor.shape[-1])
print("Total number of elements (3*2*4*5):", tf.size(rank_4_tensor).numpy())
print(tf.rank(rank_4_tensor))
print(tf.shape(rank_4_tensor))

section("Indexing")
rank_1_tensor = tf.constant([0, 1, 1, 2, 3, 5, 8, 13, 21, 34])
print(rank_1_tensor.numpy())
print("First:", rank_1_tensor[0].numpy())
print("Second:", rank_1_tensor[1].numpy())
print("Last:", rank_1_tensor[-1].numpy())
print("Everything:", rank_1_tensor[:].numpy())
print("Before 4:", rank_1_tensor[:4].numpy())
print("From 4 to the end:", rank_1_tensor[4:].numpy())
print("From 2, before 7:", rank_1_tensor[2:7].numpy())
print("Every other item:", rank_1_tensor[::2].numpy())
print("Reversed:", rank_1_tensor[::-1].numpy())
print(rank_2_tensor[1, 1].numpy())
print("Second row:", rank_2_tensor[1, :].numpy())
print("Second column:", rank_2_tensor[:, 1].numpy())
print("Last row:", rank_2_tensor[-1, :].numpy())
print("First item in last column:", rank_2_tensor[0, -1].numpy())
print("Skip the first row:")
print(rank_2_tensor[1:, :].numpy())
print(rank_3_tensor[:, :, 4])

section("Reshape")
x = tf.constant([[1], [2], [3]])
print(x.shape)
reshaped = tf.reshape(x, [1, 3])
print(reshaped.shape)
print(tf.reshape(rank_3_tensor, [-1]))
print(tf.reshape(rank_3_tensor, [3 * 2, 5]))
print(tf.reshape(rank_3_tensor, [3, -1]))
print(tf.transpose(tf.reshape(rank_3_tensor, [3, 10])))
try:
    tf.reshape(rank_3_tensor, [7, -1])
except tf.errors.InvalidArgumentError as e:
    print("InvalidArgumentError:", error_message(e))

section("DTypes")
the_f64_tensor = tf.constant([2.2, 3.3, 4.4], dtype=tf.float64)
the_f16_tensor = tf.cast(the_f64_tensor, dtype=tf.float16)
the_u8_tensor = tf.cast(the_f16_tensor, dtype=tf.uint8)
print(the_f64_tensor)
print(the_f16_tensor)
print(the_u8_tensor)

section("Broadcasting")
x = tf.constant([1, 2, 3])
y = tf.constant(2)
z = tf.constant([2, 2, 2])
print(tf.multiply(x, 2))
print(x * y)
print(x * z)
x = tf.reshape(x, [3, 1])
y = tf.range(1, 5)
print(x)
print(y)
print(tf.multiply(x, y))
print(tf.broadcast_to(tf.constant([1, 2, 3]), [3, 3]))

section("Ragged")
ragged_list = [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]
try:
    tf.constant(ragged_list)
except ValueError as e:
    print("Error:", e)
ragged_tensor = tf.ragged.constant(ragged_list)
print(ragged_tensor)
print(ragged_tensor.shape)

section("Strings")
scalar_string_tensor = tf.constant("Gray wolf")
print(scalar_string_tensor)
tensor_of_strings = tf.constant(["Gray wolf", "Quick brown fox", "Lazy dog"])
print(tensor_of_strings)
print(tf.constant("🥳👍"))
print(tf.strings.split(scalar_string_tensor, sep=" "))
print(tf.strings.split(tensor_of_strings))
text = tf.constant("1 10 100")
print(tf.strings.to_number(tf.strings.split(text, " ")))
print("Byte strings:", tf.strings.bytes_split(tf.constant("Duck")))

section("Sparse")
sparse_tensor = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4])
print(sparse_tensor)
print(tf.sparse.to_dense(sparse_tensor))
