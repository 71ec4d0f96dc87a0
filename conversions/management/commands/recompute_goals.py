from django.core.management.base import BaseCommand

from conversions import jobs


class Command(BaseCommand):
    help = (
        "Run now, in this process, the jobs that recompute goals' conversions which were asked "
        "for and have not finished: those whose worker was killed, or whose message the broker "
        "lost. A job that finishes meanwhile is not run twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--goal", type=int, help="Only this goal's job, by its id.")

    def handle(self, *args, goal: int | None, **options) -> None:
        waiting = jobs.waiting_jobs(goal)
        if not waiting:
            self.stdout.write("No job waits.")
            return
        for job in waiting:
            done = jobs.run(job.goal_id, job.version)
            verdict = "done" if done else "superseded or done elsewhere meanwhile"
            asked = f"{job.asked_at:%Y-%m-%d %H:%M:%S} UTC"
            self.stdout.write(f"Goal {job.goal_id} (asked at {asked}): {verdict}.")
