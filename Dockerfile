# The image Kubeflow Pipelines / Vertex AI run every component in: the TFX 1.16
# image plus this project, installed so that `components.*`, `models.*`,
# `serving.*` and `pipeline.*` import in each container; benchmarks/ and
# tests/ stay out. The project lives at /pipeline (the compiled pipeline's
# default --schema-dir is /pipeline/schema).
#   docker build -t REGION-docker.pkg.dev/PROJECT/REPO/ner-pipeline:TAG .
#   docker push REGION-docker.pkg.dev/PROJECT/REPO/ner-pipeline:TAG
FROM tensorflow/tfx:1.16.0

WORKDIR /pipeline
COPY requirements/ requirements/
# The base image already holds TFX, TensorFlow, TFT and Beam; add what this
# project needs beside them, at the versions the tests ran with.
RUN pip install --no-cache-dir -c requirements/lock.txt \
        'gensim>=4.3,<4.4' dill kfp==2.5.0
COPY setup.py README.md ./
COPY components/ components/
COPY models/ models/
COPY serving/ serving/
COPY pipeline/ pipeline/
COPY schema/ schema/
RUN pip install --no-cache-dir --no-deps -e .
ENV PYTHONPATH=/pipeline
