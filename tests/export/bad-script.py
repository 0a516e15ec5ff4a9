# A script with one of each defect check_script.py must find (the test
# checks that it fails, naming each).
import argparse
from sentence_transformers import SentenceTransformerTrainer, NoSuchTrainer, losses
from sentence_transformers.training_args import BatchSamplers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output-dir", default="/home/someone/out")
    cli = parser.parse_args()
    loss = losses.CoSENTLoss(None, scale=20, margin=0.5)
    args = SentenceTransformerTrainingArguments(output_dir=cli.output_dir, num_epochs=3,
                                                batch_sampler=BatchSamplers.NO_SUCH)
    return loss, args, SentenceTransformerTrainer


main()
